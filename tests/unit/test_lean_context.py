"""lean_context.contextmanager behaves as contextlib.contextmanager for generators that yield once:
value, normal exit, the body's exception re-raised, caught and suppressed, or replaced."""

import contextlib

import pytest

from truto_credential_helper import lean_context


class Boom(Exception):
    pass


def generators(log):
    def plain():
        log.append("enter")
        try:
            yield "value"
        finally:
            log.append("exit")

    def suppressing():
        try:
            yield "value"
        except Boom:
            log.append("caught")

    def replacing():
        try:
            yield "value"
        except Boom as e:
            raise KeyError("other") from e

    def reraising():
        try:
            yield "value"
        except BaseException:
            log.append("rollback")
            raise

    def never_yields():
        return
        yield

    def yields_twice():
        yield 1
        yield 2

    return [plain, suppressing, replacing, reraising, never_yields, yields_twice]


def outcome(decorator, index, body_raises):
    log = []
    fn = decorator(generators(log)[index])
    try:
        with fn() as value:
            log.append(value)
            if body_raises:
                raise Boom("body")
        log.append("after")
    except Exception as e:
        log.append((type(e).__name__, str(e), type(e.__cause__).__name__ if e.__cause__ else None))
    return log


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("body_raises", [False, True])
def test_same_as_contextlib(index, body_raises):
    assert outcome(lean_context.contextmanager, index, body_raises) == outcome(
        contextlib.contextmanager, index, body_raises
    )


def test_keeps_name_and_doc():
    def edit():
        """doc"""
        yield

    wrapped = lean_context.contextmanager(edit)
    assert (wrapped.__name__, wrapped.__doc__) == ("edit", "doc")
