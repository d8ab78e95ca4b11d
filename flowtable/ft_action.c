/* ft_action.c — being written; see ft_action.h. */
