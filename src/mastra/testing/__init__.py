"""Offline models for tests and demos: :class:`TestModel` and :class:`FunctionModel`.

Both are real :class:`~mastra.providers.Model` implementations: anything that takes a
model (an agent, a workflow step) runs with them without a network or a key.

Example:
    >>> from mastra.testing import TestModel
    >>> TestModel(text="All good.").generate_sync("Status?").text
    'All good.'
"""

from __future__ import annotations

from mastra.testing._models import CallInfo, FunctionModel, TestModel
from mastra.testing._schema import SchemaValues

__all__ = ["CallInfo", "FunctionModel", "SchemaValues", "TestModel"]
