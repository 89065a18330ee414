"""The DeepDream coursework suite, as a package split by capability.

Students import ``deepdream_utils`` (the top-level course module: a map that names what the notebooks use);
the code is here, each capability in one module that can be read whole. From the bottom up:

* ``paths``: where things are; ``i18n``: the messages in the student's language (gettext catalogs in
  ``locale/``, ``set_language``, the CJK font for figures); ``checks``: the checks of plain values;
* ``images`` (reading), ``handwork`` (the hidden tests' checks that can't be borrowed), ``runtime`` (the
  process: TensorFlow's log, SIGTERM, one-line argument errors in the user's language, the progress bar);
  ``files`` (atomic writing), ``transforms`` (random transforms, symmetry);
* ``backbones`` (InceptionV3, VGG19: described as data), ``objectives`` (composable), ``step`` (the
  gradient step: its random draws and its compiled body);
* ``model`` (the dream model), ``quality`` (indicators), ``plots`` (figures), ``recipe`` (every
  parameter of a dream, its checks and its sidecar; no TensorFlow);
* ``dream``: the objective's values and the loops (``dream``, ``dream_octaves``, ``zoom_dream``);
* ``flow``, ``videofiles``, ``channels``: frames along the optical flow, video files through ffmpeg,
  a layer's channel strip;
* ``live``: the live dream (dreamer, sources, recorder, broadcast);
* the applications: ``video`` (``deepdream VIDEO``), ``web`` (``deepdream serve``), and the course's
  grading, ``sandbox``, ``canaries``, ``submissions``, ``reasons``, ``feedback`` (nbgrader's feedback pages,
  offline and in the course's language), ``grading``, ``grades`` (the rubric, the gradebook's rows,
  ``grades.csv``) and ``course`` (``make release``, ``make grade``); ``translations`` (the notebooks in
  Chinese: catalogs and renderings, ``make translations``); ``live_command`` (``deepdream live``); ``cli``
  (the ``deepdream`` command) and ``__main__`` (``python -m deepdream``).

Imports run one way, from the applications down to ``paths``, with no circle: the contracts are in
``pyproject.toml`` (``lint-imports``). No module here imports the course module. Importing this package
imports nothing else.
"""

__version__ = "0.4.0"
