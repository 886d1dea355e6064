"""derivgui: derivatives made visible.

The public API works without Qt or a display::

    import derivgui
    f = derivgui.compile_expr("x^2*y + y")
    f(1.0, 2.0), f.grad(1.0, 2.0), f.hessian(1.0, 2.0)

    g = derivgui.compile_expr("k*sin(w x)", parameters=("k", "w"))
    g(0.5, k=2, w=3), g.grad(0.5, k=2, w=3), g.parameter_grad(0.5, k=2, w=3)
    g.derivative(3)(0.5, k=2, w=3)

PyTensor (the continuation of Theano) is imported on first use of ``compile_expr``, not here,
so that ``import derivgui`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from derivgui.expr.errors import ExpressionError
from derivgui.version import __version__

if TYPE_CHECKING:
    from derivgui.compiler.engine import compile_expr
    from derivgui.compiler.request import CompileRequest
    from derivgui.numeric.compiled import CompiledExpression, Derivative

__all__ = ["CompileRequest", "CompiledExpression", "Derivative", "ExpressionError", "compile_expr", "__version__"]


def __getattr__(name: str):
    if name in ("CompiledExpression", "Derivative"):
        from derivgui.numeric import compiled

        return getattr(compiled, name)
    if name == "CompileRequest":
        from derivgui.compiler.request import CompileRequest

        return CompileRequest
    if name == "compile_expr":
        from derivgui.compiler.engine import compile_expr

        return compile_expr
    raise AttributeError(f"module 'derivgui' has no attribute {name!r}")
