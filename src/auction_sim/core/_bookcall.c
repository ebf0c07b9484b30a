/* Per-order calls into the order book's numba kernels without numba's argument unboxing.
 *
 * ``BookCore`` is the base type of ``auction_sim.core.orderbook.OrderBook``.  It holds the
 * book's state array (one C-contiguous int64 array, see orderbook_kernels.py) with its buffer
 * acquired, and implements ``limit``, ``market`` and ``cancel``: each converts its arguments
 * to float64 (any real number; TypeError otherwise) and calls a numba ``cfunc`` of
 * ``_orderbook_entry.py`` with the array's address.  Those cfuncs call the same kernels as
 * every other path (``submit_limit`` / ``submit_market`` / ``submit_cancel``): no matching
 * rule lives here.  When a kernel asks for more room (a ``_GROW_*`` code), the call is
 * handed to the Python method ``_submit_grow(kind, side, price, qty, owner, target)``,
 * which enlarges the array (assigning ``_mem``) and submits again.
 *
 * This module is optional: without a C compiler the package installs without it and
 * ``OrderBook`` uses a pure-Python base class with the same methods (orderbook_api.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef int64_t (*limit_fn)(int64_t *, double, double, double, double);
typedef int64_t (*market_fn)(int64_t *, double, double, double);
typedef int64_t (*cancel_fn)(int64_t *, double);

static limit_fn k_limit = NULL;
static market_fn k_market = NULL;
static cancel_fn k_cancel = NULL;
static int64_t k_grow_max = 0; /* codes <= this ask for more room */
static int64_t k_limit_kind = 0, k_market_kind = 0, k_cancel_kind = 0, k_buy = 0;

typedef struct {
    PyObject_HEAD
    PyObject *mem;  /* NULL until set */
    Py_buffer view; /* held while mem is set */
    int64_t *data;
} BookCore;

static int
kernels_ready(void)
{
    if (k_limit == NULL || k_market == NULL || k_cancel == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "order book kernels are not set (set_kernels)");
        return 0;
    }
    return 1;
}

static int
need_mem(BookCore *self)
{
    if (self->mem == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "order book state is not set");
        return 0;
    }
    return 1;
}

/* Parse ``nreq`` required and ``nopt`` optional (default 0.0) arguments named ``names``
 * from a vectorcall into ``out``.  TypeError names the method and the argument. */
static int
parse_args(const char *method, const char *const *names, int nreq, int nopt,
           PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, double *out,
           PyObject **objs)
{
    int total = nreq + nopt;
    if (nargs > total) {
        PyErr_Format(PyExc_TypeError, "OrderBook.%s() takes at most %d arguments (%zd given)",
                     method, total, nargs);
        return 0;
    }
    for (int i = 0; i < total; i++)
        objs[i] = i < nargs ? args[i] : NULL;
    if (kwnames != NULL) {
        Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nk; k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int found = -1;
            for (int i = 0; i < total; i++) {
                if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) {
                    found = i;
                    break;
                }
            }
            if (found < 0) {
                PyErr_Format(PyExc_TypeError,
                             "OrderBook.%s() got an unexpected keyword argument %R", method, key);
                return 0;
            }
            if (objs[found] != NULL) {
                PyErr_Format(PyExc_TypeError,
                             "OrderBook.%s() got multiple values for argument '%s'", method,
                             names[found]);
                return 0;
            }
            objs[found] = args[nargs + k];
        }
    }
    for (int i = 0; i < total; i++) {
        if (objs[i] == NULL) {
            if (i < nreq) {
                PyErr_Format(PyExc_TypeError,
                             "OrderBook.%s() missing required argument '%s'", method, names[i]);
                return 0;
            }
            out[i] = 0.0;
            continue;
        }
        PyObject *o = objs[i];
        if (PyFloat_CheckExact(o)) {
            out[i] = PyFloat_AS_DOUBLE(o);
            continue;
        }
        if (PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o)) {
            goto not_a_number; /* float("1") would parse text: not a number here */
        }
        out[i] = PyFloat_AsDouble(o);
        if (out[i] == -1.0 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_TypeError) &&
                !PyErr_ExceptionMatches(PyExc_ValueError))
                return 0; /* e.g. OverflowError: let it through as it is */
            PyErr_Clear();
            goto not_a_number;
        }
        continue;
    not_a_number:
        PyErr_Format(PyExc_TypeError,
                     "OrderBook.%s: arguments must be real numbers, found %s=%R", method,
                     names[i], o);
        return 0;
    }
    return 1;
}

/* The kernel's answer ``r`` as a Python int; a ``_GROW_*`` code goes to ``_submit_grow``. */
static PyObject *
finish(BookCore *self, int64_t r, int64_t kind, double side, double price, double qty,
       double owner, double target)
{
    if (r <= k_grow_max)
        return PyObject_CallMethod((PyObject *)self, "_submit_grow", "Lddddd", (long long)kind,
                                   side, price, qty, owner, target);
    return PyLong_FromLongLong((long long)r);
}

static const char *const limit_names[] = {"side", "price", "qty", "owner"};
static const char *const market_names[] = {"side", "qty", "owner"};
static const char *const cancel_names[] = {"order_id", "owner"};

/* Parse into ``a`` and check that the kernels and the state are set. */
#define PARSE(method, names, nreq, nopt)                                                       \
    double a[4];                                                                               \
    PyObject *objs[4];                                                                         \
    if (!parse_args(method, names, nreq, nopt, args, nargs, kwnames, a, objs) ||              \
        !kernels_ready() || !need_mem(self))                                                   \
        return NULL

static PyObject *
BookCore_limit(BookCore *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PARSE("limit", limit_names, 3, 1);
    int64_t r = k_limit(self->data, a[0], a[1], a[2], a[3]);
    return finish(self, r, k_limit_kind, a[0], a[1], a[2], a[3], -1.0);
}

static PyObject *
BookCore_market(BookCore *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PARSE("market", market_names, 2, 1);
    int64_t r = k_market(self->data, a[0], a[1], a[2]);
    return finish(self, r, k_market_kind, a[0], Py_NAN, a[1], a[2], -1.0);
}

static PyObject *
BookCore_cancel(BookCore *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PARSE("cancel", cancel_names, 1, 1);
    int64_t r = k_cancel(self->data, a[0]);
    return finish(self, r, k_cancel_kind, (double)k_buy, Py_NAN, 0.0, a[1], a[0]);
}

static PyObject *
BookCore_get_mem(BookCore *self, void *closure)
{
    (void)closure;
    if (self->mem == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_mem");
        return NULL;
    }
    Py_INCREF(self->mem);
    return self->mem;
}

static void
release_mem(BookCore *self)
{
    if (self->mem != NULL) {
        PyBuffer_Release(&self->view);
        Py_CLEAR(self->mem);
        self->data = NULL;
    }
}

static int
BookCore_set_mem(BookCore *self, PyObject *value, void *closure)
{
    (void)closure;
    if (value == NULL) {
        release_mem(self);
        return 0;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(value, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0)
        return -1;
    const char *f = view.format ? view.format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@')
        f++;
    if (view.ndim != 1 || view.itemsize != 8 || !(strcmp(f, "l") == 0 || strcmp(f, "q") == 0)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "the book state must be a 1-d C-contiguous int64 array");
        return -1;
    }
    release_mem(self);
    Py_INCREF(value);
    self->mem = value;
    self->view = view;
    self->data = (int64_t *)view.buf;
    return 0;
}

static void
BookCore_dealloc(BookCore *self)
{
    release_mem(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef BookCore_methods[] = {
    {"limit", (PyCFunction)(void (*)(void))BookCore_limit, METH_FASTCALL | METH_KEYWORDS,
     "limit(side, price, qty, owner=0)\n--\n\nA limit order at ``price`` (a grid point): trades "
     "while it crosses, the rest rests.\nReturns its id (>= 0) or a negative ``REJECT_*`` code."},
    {"market", (PyCFunction)(void (*)(void))BookCore_market, METH_FASTCALL | METH_KEYWORDS,
     "market(side, qty, owner=0)\n--\n\nA market order: trades at any price; an unfilled "
     "remainder is cancelled.\nReturns its id (>= 0) or a negative ``REJECT_*`` code."},
    {"cancel", (PyCFunction)(void (*)(void))BookCore_cancel, METH_FASTCALL | METH_KEYWORDS,
     "cancel(order_id, owner=0)\n--\n\nCancel the resting order ``order_id``; ``filled`` is "
     "then the quantity removed.\nReturns a non-negative id or a negative ``REJECT_*`` code."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef BookCore_getset[] = {
    {"_mem", (getter)BookCore_get_mem, (setter)BookCore_set_mem,
     "the book state (1-d C-contiguous int64 array)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject BookCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "auction_sim.core._bookcall.BookCore",
    .tp_basicsize = sizeof(BookCore),
    .tp_itemsize = 0,
    .tp_dealloc = (destructor)BookCore_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Per-order entry into the order book kernels (base of OrderBook).",
    .tp_methods = BookCore_methods,
    .tp_getset = BookCore_getset,
    .tp_new = PyType_GenericNew,
};

static PyObject *
set_kernels(PyObject *module, PyObject *args)
{
    (void)module;
    unsigned long long pl, pm, pc;
    long long grow_max, kl, km, kc, buy;
    if (!PyArg_ParseTuple(args, "KKKLLLLL", &pl, &pm, &pc, &grow_max, &kl, &km, &kc, &buy))
        return NULL;
    if (pl == 0 || pm == 0 || pc == 0) {
        PyErr_SetString(PyExc_ValueError, "null kernel address");
        return NULL;
    }
    k_limit = (limit_fn)(uintptr_t)pl;
    k_market = (market_fn)(uintptr_t)pm;
    k_cancel = (cancel_fn)(uintptr_t)pc;
    k_grow_max = grow_max;
    k_limit_kind = kl;
    k_market_kind = km;
    k_cancel_kind = kc;
    k_buy = buy;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"set_kernels", set_kernels, METH_VARARGS,
     "set_kernels(limit, market, cancel, grow_max, LIMIT, MARKET, CANCEL, BUY)\n--\n\n"
     "Addresses of the three cfuncs and the codes they use (called once by orderbook_api.py)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_bookcall",
    .m_doc = "Per-order calls into the order book kernels (optional C accelerator).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__bookcall(void)
{
    if (PyType_Ready(&BookCoreType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    Py_INCREF(&BookCoreType);
    if (PyModule_AddObject(m, "BookCore", (PyObject *)&BookCoreType) < 0) {
        Py_DECREF(&BookCoreType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
