"""The grading sandbox: each student's notebooks run in a Jupyter kernel that sees nothing it may not touch.

nbgrader runs a submitted notebook in a kernel, and a student's code in that kernel could read the
hidden tests in the gradebook, the solutions in ``notebooks/``, a classmate's work, or the network.
Grading therefore pins every notebook to this module's kernelspec (whatever the notebook's metadata
names), whose kernel starts through ``python -m deepdream.sandbox kernel {connection_file}``:

* under bubblewrap (``bwrap``, Debian's ``bubblewrap``): new user, PID, IPC, UTS, cgroup and network
  namespaces (the network is loopback only, so nbclient talks to the kernel over IPC sockets);
* as a separate unprivileged user (``SANDBOX_UID``) when grading runs as root, else as the grader in a
  user namespace;
* with a clean environment: only the grading-mode variables (``KEPT_VARIABLES``);
* with the system, the Python, the virtual environment and the suite (``deepdream/``,
  ``deepdream_utils.py``, ``images/``) read-only, and nothing else of the repository or the course;
* with one writable folder, the scratch copy of that one student's notebooks, plus a private ``/tmp``;
* within limits (``Limits``): processes, file size, address space, and CPU seconds.

What it does not promise: it is no defence against a kernel exploit, it shares the machine's CPU and
memory bandwidth with the grader, and its limits are rlimits (no cgroup is required).
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from deepdream.paths import REPO_ROOT

KERNEL_NAME = "deepdream-sandbox"  # the kernelspec grading pins every notebook to
SANDBOX_UID = 64_123  # the unprivileged user the kernel runs as when grading runs as root (no login, no files)
LIMITS_VARIABLE = "DEEPDREAM_SANDBOX_LIMITS"  # JSON of Limits' fields, for a grader who needs others
FOLDER_VARIABLE = "DEEPDREAM_SANDBOX"  # one student's sandbox folder (``prepare``), named by the grader
KEPT_VARIABLES = ("DEEPDREAM_GRADING", "DEEPDREAM_OUTPUTS", "MPLBACKEND", "TF_NUM_INTRAOP_THREADS",
                  "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL")
SUITE_PATHS = ("deepdream", "deepdream_utils.py", "images")  # of the repository, all the kernel sees
SYSTEM_PATHS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
INSTALL_HINT = "install it with `sudo apt-get install bubblewrap` (Debian, Ubuntu), then grade again"


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one sandboxed kernel may use (rlimits, kept by every process it starts)."""

    processes: int = 1024  # processes and threads of the sandbox user (TensorFlow starts dozens of threads)
    file_mb: int = 256  # largest file it may write
    memory_gb: float = 12.0  # address space (TensorFlow reserves several GB it never touches)
    cpu_s: int = 3600  # CPU seconds in all

    @classmethod
    def from_environment(cls) -> Limits:
        """The limits the grader named in ``DEEPDREAM_SANDBOX_LIMITS`` (JSON: ``{"processes": 200}``), else these."""
        return cls(**json.loads(os.environ.get(LIMITS_VARIABLE) or "{}"))


def bwrap_problem() -> str | None:
    """Why the sandbox cannot run here, in one line with what to do; None when it works."""
    if shutil.which("bwrap") is None:
        return f"Grading needs the bubblewrap sandbox (bwrap), which is not installed: {INSTALL_HINT}."
    probe = subprocess.run(_sandbox(Path("/"), ["true"]), capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return (f"Grading needs the bubblewrap sandbox, but bwrap does not work here "
                f"({probe.stderr.strip()[-300:] or 'exit status ' + str(probe.returncode)}). It needs user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile that allows bwrap); "
                "or grade with --unsandboxed, at your own risk.")
    return None


def kernelspec(folder: Path) -> Path:
    """Writes the sandbox's kernelspec into ``folder/kernels/``, for ``JUPYTER_PATH``; returns ``folder``."""
    spec = Path(folder) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "deepdream.sandbox", "kernel", "{connection_file}"],
        "display_name": "DeepDream grading sandbox", "language": "python",
        "interrupt_mode": "message",  # a signal would reach bwrap, not the kernel inside
        "metadata": {"debugger": False}}, indent=1))
    return Path(folder)


def _readable(python: str) -> list[str]:
    """bwrap's arguments for the read-only view: the system, the Pythons and the suite, links kept as links."""
    paths = {Path(p) for p in SYSTEM_PATHS} | {REPO_ROOT / name for name in SUITE_PATHS}
    paths |= {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(python)).parents[1]}
    arguments = []
    for path in sorted(paths):
        if path.is_symlink() and path.parent == Path("/"):  # /bin -> usr/bin on a merged /usr
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            arguments += ["--ro-bind", str(path), str(path)]
    return arguments


def _sandbox(folder: Path, inner: list[str], writable: tuple[Path, ...] = (), python: str = sys.executable,
             environment: dict[str, str] | None = None) -> list[str]:
    """``inner`` under bwrap: the read-only view, ``writable`` folders, a private /tmp, no network.

    As root, bwrap makes the namespaces but the user's: ``inner`` then runs as ``SANDBOX_UID``
    (setpriv, inside), a user of its own with no capability. As anyone else, a user namespace keeps
    ``inner`` as oneself, without privileges.
    """
    readable = _readable(python)
    mount_points = [Path(path) for path in readable[2::3]] + [Path(path) for path in writable]
    parents = sorted({parent for path in mount_points for parent in path.parents} - {Path("/"), Path("/tmp")},
                     key=lambda parent: len(parent.parts))
    arguments = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session", "--clearenv",
                 "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    for parent in parents:  # bwrap would make them 0700 as root: the sandbox user could not pass through
        arguments += ["--perms", "0755", "--dir", str(parent)]
    arguments += readable
    if os.geteuid() == 0:
        arguments += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                      "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        inner = ["/usr/bin/setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                 "--inh-caps=-all", "--", *inner]
    else:
        arguments += ["--unshare-all"]
    for path in writable:
        arguments += ["--bind", str(path), str(path)]
    for name, value in sorted((environment or {}).items()):
        arguments += ["--setenv", name, value]
    return [*arguments, "--chdir", str(folder), *inner]


def command(connection_file: Path, scratch: Path, python: str = sys.executable) -> list[str]:
    """The command line that starts one sandboxed ipykernel on ``connection_file``, writing only ``scratch``."""
    connection_file, scratch = Path(connection_file).resolve(), Path(scratch).resolve()
    environment = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    environment.update(HOME="/tmp", PATH=f"{Path(python).parent}:/usr/bin:/bin", LANG="C.UTF-8",
                       MPLCONFIGDIR="/tmp/matplotlib", PYTHONDONTWRITEBYTECODE="1")
    return _sandbox(scratch, [python, "-m", "ipykernel_launcher", "-f", str(connection_file)],
                    writable=(connection_file.parent, scratch), python=python, environment=environment)


def _apply_limits(limits: Limits) -> None:
    for kind, value in ((resource.RLIMIT_NPROC, limits.processes),
                        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
                        (resource.RLIMIT_AS, int(limits.memory_gb * 1024 ** 3)),
                        (resource.RLIMIT_CPU, limits.cpu_s), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(kind, (value, value))


def prepare(folder: Path, notebooks: Path | None = None) -> dict[str, str]:
    """Makes one student's sandbox folder: ``runtime/`` (the kernel's connection file and IPC sockets) and
    ``scratch/`` (a copy of ``notebooks``' files, the one folder the kernel may write, with ``outputs/``
    for the pictures a grading run saves); returns the environment variables that send a grading run's
    kernels there (``nbgrader_options`` pins its notebooks to the sandboxed kernel).
    """
    folder = Path(folder).resolve()
    for name in ("runtime", "scratch/outputs"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    if notebooks is not None:
        shutil.copytree(notebooks, folder / "scratch", dirs_exist_ok=True)
    if os.geteuid() == 0:  # the sandbox user writes its sockets and its folder, and nothing else
        for path in [folder / "runtime", *(folder / "scratch").rglob("*"), folder / "scratch"]:
            os.chown(path, SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)
    # jupyter_client writes the connection file with mkstemp (TMPDIR); the IPC sockets go beside it.
    return {FOLDER_VARIABLE: str(folder), "TMPDIR": str(folder / "runtime"),
            "DEEPDREAM_OUTPUTS": str(folder / "scratch" / "outputs")}


def nbgrader_options(folder: Path) -> list[str]:
    """nbgrader's command-line options that run every notebook in the sandboxed kernel of ``folder``
    (made by ``prepare``), whatever kernel the notebook's metadata names, over IPC sockets."""
    return [f"--Execute.kernel_name={KERNEL_NAME}", "--KernelManager.transport=ipc",
            f"--KernelManager.ip={Path(folder).resolve() / 'runtime' / 'kernel'}"]


def start_kernel(connection_file: str) -> None:
    """Replaces this process with the sandboxed kernel (the kernelspec's ``argv``)."""
    folder = Path(os.environ.get(FOLDER_VARIABLE, "")).resolve()
    connection = Path(connection_file).resolve()
    if not os.environ.get(FOLDER_VARIABLE) or connection.parent != folder / "runtime":
        sys.exit(f"deepdream.sandbox: the connection file must be in $FOLDER_VARIABLE/runtime/ "
                 f"(deepdream.sandbox.prepare makes it); got {connection}.".replace("FOLDER_VARIABLE", FOLDER_VARIABLE))
    if os.geteuid() == 0:
        os.chown(connection, SANDBOX_UID, SANDBOX_UID)
    _apply_limits(Limits.from_environment())
    arguments = command(connection, folder / "scratch")
    os.execvp(arguments[0], arguments)


def main(argv: list[str] | None = None) -> int:
    """``python -m deepdream.sandbox kernel CONNECTION_FILE`` (the kernelspec's command) or ``check``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["kernel"] and len(argv) == 2:
        start_kernel(argv[1])
    if argv == ["check"]:
        problem = bwrap_problem()
        print(problem or "the grading sandbox works here")
        return 1 if problem else 0
    print("usage: python -m deepdream.sandbox kernel CONNECTION_FILE | check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
