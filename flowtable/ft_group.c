/* ft_group.c — being written; see ft_group.h. */
