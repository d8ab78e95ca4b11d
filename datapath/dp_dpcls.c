/* dp_dpcls.c — being written. */
