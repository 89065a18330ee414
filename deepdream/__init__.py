"""The DeepDream coursework suite, as a package split by capability.

Students open ``deepdream_utils`` (the top-level course module: the loss, the step and the loops);
this package holds everything else, each capability in one module that can be read whole:

* ``paths``, ``runtime``, ``checks``: where things are, the process (TensorFlow's log, SIGTERM,
  one-line argument errors) and the checks of plain values;
* ``images`` (reading), ``files`` (atomic writing), ``transforms``, ``quality``, ``plots``;
* ``backbones`` (InceptionV3, VGG19: described as data), ``objectives`` (composable), ``model``
  and ``step`` (the dream model and its compiled gradient step);
* ``recipe``: the parameters of a dream, their checks and its sidecar (no TensorFlow);
* the applications: ``cli`` (``deepdream``), ``video`` and ``videofiles``, and ``web`` (``deepdream serve``).

Imports run one way, from the applications down to ``paths``: the contract is in ``pyproject.toml``
(``lint-imports``). Importing this package imports nothing else.
"""

__version__ = "0.4.0"
