"""The grading sandbox: a student's kernel sees the suite and its own scratch folder, and nothing else."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import nbformat
import pytest
from nbclient import NotebookClient

from deepdream import course as course_module
from deepdream import sandbox
from tests.helpers import digest

HOSTILE_CELLS = {  # cell -> what it must print (each tries what a hostile submission would)
    "read_gradebook": "open({gradebook!r}).read()",
    "read_solutions": "import os; print(sorted(os.listdir({repo!r})))",
    "write_package": "open({package!r} + '/planted.py', 'w')",
    "write_weights": "open({weights!r}, 'ab')",  # appending nothing: a sandbox that failed changes nothing
    "write_gradebook": "open({gradebook!r}, 'w').write('0')",
    "write_solutions": "open({repo!r} + '/notebooks/01_noise_single_layer.ipynb', 'a')",
    "read_source": "import os; os.listdir({source!r})",
    "delete_classmate": "import shutil; shutil.rmtree({classmate!r})",
    "network": "import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)",
    "environment": "import os; print(sorted(os.environ))",
    "user": "import os; print('uid', os.getuid())",
    "huge_file": "open('huge.bin', 'wb').write(b'0' * ({file_mb} + 1) * 1024 * 1024)",
    "huge_allocation": "hoard = bytearray(({memory_gb} + 1) * 1024 ** 3)",
    "many_processes": "import subprocess\nchildren = []\ntry:\n    for _ in range({processes}):\n"
                      "        children.append(subprocess.Popen(['sleep', '60']))\nfinally:\n"
                      "    print('started', len(children))\n    for child in children:\n        child.kill()\n"
                      "        child.wait()",
    "scratch": "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())",
}


WEIGHTS = next((course_module.REPO_ROOT / "deepdream" / "data").glob("*.npz"))  # the bundled weights
LIMITS = {"processes": 160, "file_mb": 8, "memory_gb": 6}  # smaller than grading's, for quick tests


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """One sandboxed kernel runs every hostile cell; a listener outside records any connection."""
    if sandbox.bwrap_problem():
        pytest.fail(sandbox.bwrap_problem())
    root = tmp_path_factory.mktemp("sandboxed")
    os.chmod(root, 0o755)
    classmate = root / "course" / "submitted" / "bob"
    classmate.mkdir(parents=True)
    (classmate / "01_noise_single_layer.ipynb").write_text("{}")
    gradebook = root / "course" / "gradebook.db"
    gradebook.write_text("hidden tests")
    (root / "course" / "source").mkdir()
    before = {path: digest(path) for path in (gradebook, classmate / "01_noise_single_layer.ipynb", WEIGHTS,
                                              course_module.NOTEBOOKS_DIR / "01_noise_single_layer.ipynb")}
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    connections = []

    def accept():
        while listener.fileno() != -1:
            try:
                connections.append(listener.accept())
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    values = {"gradebook": str(gradebook), "repo": str(course_module.REPO_ROOT),
              "package": str(course_module.REPO_ROOT / "deepdream"), "classmate": str(classmate),
              "weights": str(WEIGHTS), "source": str(root / "course" / "source"),
              "port": listener.getsockname()[1], **LIMITS}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source.format(**values))
                                               for source in HOSTILE_CELLS.values()])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "the grader's own kernel"}
    folder = root / "student"
    environment = {**sandbox.prepare(folder), "JUPYTER_PATH": str(sandbox.kernelspec(root / "jupyter")),
                   "DEEPDREAM_GRADER_SECRET": "s3cret", sandbox.LIMITS_VARIABLE: json.dumps(LIMITS)}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        client = NotebookClient(notebook, kernel_name=sandbox.KERNEL_NAME, timeout=60, allow_errors=True,
                                resources={"metadata": {"path": str(folder / "scratch")}})
        client.km = client.create_kernel_manager()
        client.km.transport, client.km.ip = "ipc", str(folder / "runtime" / "kernel")
        client.km.connection_file = str(folder / "runtime" / "kernel.json")  # nbgrader's: TMPDIR, set by prepare
        client.execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        listener.close()
    outputs = {name: cell.outputs for name, cell in zip(HOSTILE_CELLS, notebook.cells)}
    return {"outputs": outputs, "connections": connections, "before": before, "folder": folder}


def _error(outputs):
    errors = [output for output in outputs if output.output_type == "error"]
    return f"{errors[0].ename}: {errors[0].evalue}" if errors else ""


def _text(outputs):
    return "".join(output.get("text", "") for output in outputs)


def test_the_kernel_cannot_read_the_gradebook_or_the_solutions(hostile_run):
    assert _error(hostile_run["outputs"]["read_gradebook"]).startswith("FileNotFoundError")
    assert _error(hostile_run["outputs"]["read_source"]).startswith("FileNotFoundError")


def test_the_kernel_cannot_write_the_gradebook_or_the_solutions(hostile_run):
    assert _error(hostile_run["outputs"]["write_gradebook"]).startswith("FileNotFoundError")
    assert _error(hostile_run["outputs"]["write_solutions"]).startswith("FileNotFoundError")
    for path, before in hostile_run["before"].items():
        assert digest(path) == before
    listed = _text(hostile_run["outputs"]["read_solutions"])
    assert "deepdream" in listed and "notebooks" not in listed and "course" not in listed


def test_the_kernel_cannot_change_the_package_or_a_classmates_work(hostile_run):
    assert _error(hostile_run["outputs"]["write_package"]).startswith("OSError: [Errno 30] Read-only")
    assert _error(hostile_run["outputs"]["write_weights"]).startswith(  # a read-only mount, or not its file
        ("OSError: [Errno 30] Read-only", "PermissionError: [Errno 13]"))
    assert _error(hostile_run["outputs"]["delete_classmate"]).startswith("FileNotFoundError")
    for path, before in hostile_run["before"].items():
        assert digest(path) == before


def test_the_kernel_has_no_network_and_the_listener_outside_sees_no_connection(hostile_run):
    assert _error(hostile_run["outputs"]["network"]).startswith("ConnectionRefusedError")
    assert hostile_run["connections"] == []


def test_the_kernel_gets_a_clean_environment_and_a_user_of_its_own(hostile_run):
    names = _text(hostile_run["outputs"]["environment"])
    assert "DEEPDREAM_GRADER_SECRET" not in names and "JUPYTER_PATH" not in names and "'PATH'" in names
    uid = int(_text(hostile_run["outputs"]["user"]).split()[1])
    assert uid == (sandbox.SANDBOX_UID if os.geteuid() == 0 else os.getuid())


def test_a_huge_allocation_and_too_many_processes_are_stopped_at_their_limits(hostile_run):
    assert _error(hostile_run["outputs"]["huge_allocation"]).startswith("MemoryError")
    assert _error(hostile_run["outputs"]["many_processes"]).startswith(("BlockingIOError", "OSError"))
    started = int(_text(hostile_run["outputs"]["many_processes"]).split()[1])
    assert 0 < started < LIMITS["processes"]


def test_a_huge_file_is_stopped_at_the_limit_and_the_scratch_folder_is_writable(hostile_run):
    assert _error(hostile_run["outputs"]["huge_file"]).startswith("OSError: [Errno 27] File too large")
    assert _text(hostile_run["outputs"]["scratch"]).strip() == "ok"
    assert (hostile_run["folder"] / "scratch" / "mine.txt").read_text() == "ok"


def test_without_bwrap_grading_refuses_in_one_line_that_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("setpriv", "sh"):
        if shutil.which(tool):
            os.symlink(shutil.which(tool), bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert "apt-get install bubblewrap" in sandbox.bwrap_problem()
    assert course_module.main(["grade", "--course", str(tmp_path / "course")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "apt-get install bubblewrap" in error and "--unsandboxed" not in error


def test_the_kernel_launcher_refuses_a_connection_file_outside_its_folder(tmp_path):
    done = subprocess.run([sys.executable, "-m", "deepdream.sandbox", "kernel", str(tmp_path / "k.json")],
                          capture_output=True, text=True, env={**os.environ, sandbox.FOLDER_VARIABLE: str(tmp_path)},
                          timeout=60)
    assert done.returncode != 0 and "the connection file must be in" in done.stderr
