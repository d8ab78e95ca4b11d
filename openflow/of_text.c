/* of_text.c — being written. */
