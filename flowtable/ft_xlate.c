/* ft_xlate.c — being written; see ft_xlate.h. */
