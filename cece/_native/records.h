/*
 * Per-sample records as JSONL/CSV text (cece/_native/records.c); include after <Python.h>.
 */
#ifndef CECE_RECORDS_H
#define CECE_RECORDS_H

PyObject *py_format_records(PyObject *self, PyObject *args);
PyObject *py_float_repr(PyObject *self, PyObject *arg);

#endif /* CECE_RECORDS_H */
