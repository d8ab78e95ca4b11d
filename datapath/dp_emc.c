/* dp_emc.c — being written. */
