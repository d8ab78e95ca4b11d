/* ft_dpact.c — being written; see ft_dpact.h. */
