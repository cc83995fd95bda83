"""Other engines for the same pack: a pandera schema and a Great Expectations suite.

The pack model knows nothing of any engine; each module here compiles a resolved
:class:`~source_check.pack.model.Pack` for one engine, reusing the polars expressions
of :mod:`source_check.engine.compile` wherever the engine runs polars.

* :mod:`source_check.engines.pandera` — :func:`~source_check.engines.pandera.to_schema`
  gives a ``pandera.polars.DataFrameSchema`` (pandera is a core dependency).
* :mod:`source_check.engines.gx` — :func:`~source_check.engines.gx.to_suite` gives a
  Great Expectations ``ExpectationSuite`` plus the rules GX cannot express. Needs the
  optional extra ``pip install source-check[gx]``; importing :mod:`source_check` never
  imports great_expectations.

Neither module is imported by this package: ``import source_check.engines.pandera``
(or ``.gx``) explicitly.

Examples
--------
>>> from source_check.engines.pandera import to_schema
>>> from source_check import load_pack
>>> to_schema(load_pack("labor-102")).name
'labor-102'
"""

from __future__ import annotations

__all__: list[str] = []
