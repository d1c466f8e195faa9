/*
 * Plain numeric text into float64 rows (cece/_native/parse.c).
 *
 * cece_parse_plain(s, len, ncols, delim, out, cap): rows of `ncols` numbers separated by
 * `delim` into out (C order, room for `cap` rows); returns the number of rows, or -1 when the
 * text is anything but plain numbers (the caller then uses its careful parsers, which say what
 * is wrong and where). Results are correctly rounded, as Python's float() gives them
 * (Clinger's fast path, Eisel-Lemire with the table pow5.h, strtod where that cannot decide).
 *
 * cece_count_byte(s, len, c): occurrences of byte c in s.
 *
 * Include after <Python.h> (for Py_ssize_t).
 */
#ifndef CECE_PARSE_H
#define CECE_PARSE_H

Py_ssize_t cece_parse_plain(const char *s, Py_ssize_t len, Py_ssize_t ncols, char delim,
                            double *out, Py_ssize_t cap);
Py_ssize_t cece_count_byte(const char *s, Py_ssize_t len, char c);

#endif /* CECE_PARSE_H */
