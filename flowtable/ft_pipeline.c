/* ft_pipeline.c — being written; see ft_pipeline.h. */
