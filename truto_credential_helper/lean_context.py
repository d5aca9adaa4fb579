"""contextlib.contextmanager for the `get` path: `import contextlib` pulls in collections and
functools, which every credential `get` would then load for the two decorators config.py and store.py use.
The same protocol for a generator that yields once: the body's exception is thrown in at the yield,
and is suppressed only if the generator catches it and returns."""


def contextmanager(func):
    def helper(*args, **kwargs):
        return _GeneratorContext(func(*args, **kwargs))

    helper.__name__, helper.__qualname__, helper.__doc__ = func.__name__, func.__qualname__, func.__doc__
    helper.__wrapped__ = func
    return helper


class _GeneratorContext:
    def __init__(self, gen):
        self.gen = gen

    def __enter__(self):
        try:
            return next(self.gen)
        except StopIteration:
            raise RuntimeError("generator didn't yield") from None

    def __exit__(self, typ, value, traceback):
        if typ is None:
            try:
                next(self.gen)
            except StopIteration:
                return False
            raise RuntimeError("generator didn't stop")
        if value is None:
            value = typ()
        try:
            self.gen.throw(value)
        except StopIteration as exc:
            return exc is not value  # returned after catching it: suppressed
        except BaseException as exc:
            if exc is value:
                exc.__traceback__ = traceback
                return False  # the body's own exception, not caught: re-raised by the with
            raise
        raise RuntimeError("generator didn't stop after throw()")
