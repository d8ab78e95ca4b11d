/* dp_execute.c — being written. */
