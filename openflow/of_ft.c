/* of_ft.c — being written. */
