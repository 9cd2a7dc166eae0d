"""Each grading kernel in its own bubblewrap sandbox, set up per submission.

The tool is bubblewrap (`bwrap`, the sandbox of Flatpak): maintained, packaged by every
Linux distribution, no daemon, a few milliseconds per start. What a kernel gets:

- its own network, PID, IPC, UTS and cgroup namespaces: no network at all (only a
  loopback of its own), no view of the machine's processes, and every process it starts
  dies with it (its PID 1 is bwrap's; when the kernel exits, the namespace is emptied, and
  `--die-with-parent` plus a parent-death signal end it if the grader dies);
- read-only: /usr (and /bin, /lib* as the host has them), a few files of /etc (dynamic
  loader cache, time zone, fonts), the Python environment (sys.prefix, sys.base_prefix)
  and the `course` package (the guard cells import course.guard); nothing else: no
  solutions/, gradebook, roster, submitted/, intake/, other students, /root or home;
- writable: the submission's working folder (autograded/<student>/<assignment>/, where
  nbgrader runs the notebook), a private 1 GiB /tmp and /dev/shm; HOME is /tmp;
- an environment cleared down to locale, PATH, thread counts and COURSE_* settings;
- Jupyter's `ipc` transport: the connection file and the sockets are in the working
  folder (reached through a short alias, since socket paths may not exceed 107 bytes);
  interrupts go as messages (interrupt_mode "message"), which ipykernel turns into a
  KeyboardInterrupt inside the sandbox, so a cell that runs past its limit is stopped;
- a process limit (RLIMIT_NPROC, `processes` in grading.toml; it counts threads too), so
  a fork bomb stops there; the memory cap (nbgrader_api.memory_limit) applies as before.

Why a user id per worker. RLIMIT_NPROC counts the processes of a real user id and does
not apply to root, also not to root inside a user namespace (measured on Linux 6.18).
So when the grader runs as root, bwrap runs privileged (no user namespace) and the kernel
drops to an unprivileged uid (setpriv: no groups, no capabilities, no new privileges).
Each grading process claims its own uid from FIRST_UID on (a lock file held while it
lives), so two workers never share a process budget and, after a kernel ends, every
process of that uid can be found and killed. The working folder belongs to that uid
while the kernel runs and to root again afterwards. A grader that is not root runs bwrap
unprivileged: the kernel keeps the grader's uid in a user namespace of its own, where
RLIMIT_NPROC counts only the sandbox's processes.

After the kernel. The grader writes the autograded notebook into the folder the kernel
could write; a planted link there would redirect that write (onto another student's
original, say). restore() runs before nbgrader writes anything: it waits until no
process of the sandbox remains, then removes every link, FIFO, socket or device from the
folder, and gives the rest back to root without setuid/setgid bits.

grading.toml's [sandbox] table: enabled = "auto" (use it where the tools work, else say
so once, loudly, and grade unsandboxed), true (refuse to grade without it) or false (off,
e.g. on a GPU grading machine: the sandbox shows no /dev/nvidia*).
"""

import fcntl
import functools
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from . import layout

INSTALL = "sudo apt-get install bubblewrap   (Fedora: sudo dnf install bubblewrap)"
TOOLS = ("bwrap", "setpriv", "prlimit")  # setpriv and prlimit come with util-linux
FIRST_UID, UIDS = 60100, 64  # uids of sandboxed kernels when grading as root
TMP_BYTES = 2**30  # size of the sandbox's private /tmp
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "fonts")
ENV_KEPT = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND"}
ENV_KEPT |= {"PYTHONHASHSEED", "PYTHONUNBUFFERED", "PYTHONIOENCODING"}
ENV_PREFIXES = ("LC_", "COURSE_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "NUMEXPR_", "CUDA_")
ANNOUNCED = "COURSE_SANDBOX_ANNOUNCED"  # set once the run has said whether it sandboxes
CONNECTION_FILE = ".kernel.json"


class SandboxError(RuntimeError):
    pass


def settings(root: Path) -> tuple[object, int]:
    """(enabled: "auto", True or False; processes a kernel may run) from grading.toml."""
    table = layout.grading_settings(root).get("sandbox", {})
    enabled = table.get("enabled", "auto")
    if enabled not in ("auto", True, False):
        raise SandboxError(
            f'grading.toml: [sandbox] enabled = "auto", true or false, not {enabled!r}'
        )
    processes = int(table.get("processes", 0)) or max(256, 4 * (os.cpu_count() or 1))
    return enabled, processes


def active(root: Path) -> bool:
    """Whether kernels graded in the course directory `root` run sandboxed. With "auto" and
    no working sandbox, warns once (per run, see announce) and grades unsandboxed."""
    enabled, _ = settings(root)
    if enabled is False:
        return False
    why = unavailable()
    if why and enabled is True:
        raise refused(why)
    if why and not os.environ.get(ANNOUNCED):
        os.environ[ANNOUNCED] = "1"
        print(warning(why), file=sys.stderr, flush=True)
    return why is None


def announce(root: Path) -> str:
    """One line saying how kernels will run, for the grader to print before grading; a
    loud warning when they cannot be sandboxed. Worker processes started afterwards
    inherit ANNOUNCED and stay quiet."""
    os.environ[ANNOUNCED] = "1"
    enabled, processes = settings(root)
    if enabled is False:
        return "Sandbox: off (grading.toml [sandbox] enabled = false): student code is trusted."
    if why := unavailable():
        if enabled is True:
            raise refused(why)
        return warning(why)
    who = f"uids {FIRST_UID}+" if os.geteuid() == 0 else "a user namespace"
    return (
        f"Sandbox: bubblewrap (no network, only its own folder writable, {processes} "
        f"processes, as {who})."
    )


def refused(why: str) -> SandboxError:
    return SandboxError(f"grading.toml asks for the sandbox, but {why}. Install: {INSTALL}")


def warning(why: str) -> str:
    bar = "!" * 78
    return (
        f"{bar}\nWARNING: grading WITHOUT a sandbox ({why}). Student code can read "
        "solutions/ and\nthe gradebook, change other students' files, use the network and "
        f"leave processes\nrunning. Install bubblewrap: {INSTALL}\n"
        f"(or set [sandbox] enabled = false in grading.toml to grade unsandboxed on purpose)\n{bar}"
    )


@functools.cache
def unavailable() -> str | None:
    """Why kernels cannot be sandboxed on this machine; None when they can (checked once
    per process by starting a sandbox that runs `true`)."""
    if missing := [tool for tool in TOOLS if not shutil.which(tool)]:
        return f"{', '.join(missing)} not found"
    with tempfile.TemporaryDirectory() as scratch:
        sandbox = Sandbox(Path(scratch), processes=64)
        try:
            run = subprocess.run(sandbox.command(["true"]), capture_output=True, text=True)
        finally:
            sandbox.restore()
    if run.returncode != 0:
        return f"bwrap failed: {(run.stderr.strip() or 'no message').splitlines()[-1]}"
    return None


_uid_claim: tuple[int, int] | None = None  # (uid, fd of its lock file), for this process


def worker_uid() -> int:
    """An unprivileged uid that no other grading process on this machine uses now; it stays
    this process's (a lock on a file in a root-only folder) until the process exits."""
    global _uid_claim
    if _uid_claim is None:
        locks = Path(tempfile.gettempdir()) / "course-sandbox-uids"
        locks.mkdir(mode=0o700, exist_ok=True)
        if locks.is_symlink() or locks.stat().st_uid != os.geteuid():
            raise SandboxError(f"{locks} is not this user's own folder")
        for uid in range(FIRST_UID, FIRST_UID + UIDS):
            if has_account(uid):
                continue
            fd = os.open(locks / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            _uid_claim = uid, fd
            break
        else:
            raise SandboxError(f"all {UIDS} sandbox uids from {FIRST_UID} are in use")
    return _uid_claim[0]


def has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


class Sandbox:
    """The sandbox of one kernel whose working folder is `folder`."""

    def __init__(self, folder: Path, processes: int):
        self.folder = working_folder(folder)
        self.processes = processes
        self.uid = worker_uid() if os.geteuid() == 0 else None
        self.alias = Path(tempfile.mkdtemp(prefix="course-kernel-", dir="/tmp"))
        (self.alias / "k").symlink_to(self.folder)
        if self.uid is not None:
            give(self.folder, self.uid, mode=0o700)

    @property
    def ip(self) -> str:
        """Jupyter's ipc `ip`: the sockets are <folder>/kernel-<n>, named via the alias."""
        return str(self.alias / "k" / "kernel")

    def command(self, kernel: list[str]) -> list[str]:
        """`kernel` (a command line) run inside the sandbox."""
        inner = ["prlimit", f"--nproc={self.processes}", "--core=0", "--"]
        if self.uid is not None:
            uid = str(self.uid)
            drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
            inner = drop + ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"] + inner
        namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        namespaces += ["--unshare-cgroup-try"]
        if self.uid is None:  # not root: bwrap needs a user namespace (and forbids more)
            namespaces += ["--unshare-user", "--disable-userns"]
        return [
            *("setpriv", "--pdeathsig", "KILL", "bwrap", *namespaces),
            *("--die-with-parent", "--new-session", "--clearenv", *environment()),
            *system_binds(),
            *("--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm"),
            *("--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", "/tmp"),
            *binds([(p, "--ro-bind") for p in python_paths()] + [(self.folder, "--bind")]),
            *("--perms", "0755", "--dir", str(self.alias)),
            *("--symlink", str(self.folder), str(self.alias / "k")),
            *("--chdir", str(self.folder), "--", *inner, *kernel),
        ]

    def restore(self) -> None:
        """After the kernel: no process of the sandbox left, no link or special file in the
        folder, everything in it root's again (when grading as root)."""
        if self.uid is not None:
            kill_processes_of(self.uid)
        remove_special_files(self.folder)
        if self.uid is not None:
            give(self.folder, 0, mode=0o755)
        shutil.rmtree(self.alias, ignore_errors=True)


def working_folder(folder: Path) -> Path:
    """`folder`, resolved, if it can be a submission's working folder: it is given to the
    kernel's uid, so never /, a top-level folder, the temporary folder, a home, or a folder
    holding the Python environment."""
    folder = folder.resolve()
    common = {Path(tempfile.gettempdir()).resolve(), Path.home().resolve()}
    if (
        len(folder.parts) < 3
        or folder in common
        or any(p.is_relative_to(folder) for p in python_paths())
    ):
        raise SandboxError(f"not a submission's working folder: {folder}")
    return folder


def environment() -> list[str]:
    """bwrap arguments setting the kernel's environment: a few of the grader's variables."""
    kept = {k: v for k, v in os.environ.items() if k in ENV_KEPT or k.startswith(ENV_PREFIXES)}
    kept |= {"HOME": "/tmp", "TMPDIR": "/tmp", "USER": "student", "LOGNAME": "student"}
    kept["JPY_PARENT_PID"] = "1"  # bwrap's init: ipykernel then neither polls nor prints
    return [arg for name, value in sorted(kept.items()) for arg in ("--setenv", name, value)]


def system_binds() -> list[str]:
    """/usr read-only, /bin, /sbin and /lib* as the host has them (links or folders), and
    the files of /etc that programs need to start."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    etc = [Path("/etc", name) for name in ETC if Path("/etc", name).exists()]
    return args + binds([(path, "--ro-bind") for path in etc])


def python_paths() -> list[Path]:
    """What the kernel's Python needs: its environment and the course package."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths |= {os.path.dirname(os.path.realpath(sys.executable)), os.path.dirname(__file__)}
    return [Path(os.path.realpath(path)) for path in paths]


def binds(mounts: list[tuple[Path, str]]) -> list[str]:
    """bwrap arguments mounting each (path, how) at its own path, after creating the
    folders above it world-readable (bwrap would make them 0700, closed to the kernel's
    uid); a path inside another one, or inside /usr, is already there."""
    mounts = sorted(mounts)
    mounts = [(p, how) for p, how in mounts if not any(in_folder(p, q) for q, _ in mounts)]
    args, made = [], set()
    for path, how in mounts:
        if in_folder(path, Path("/usr")) or path == Path("/usr"):
            continue
        for parent in reversed(path.parents[:-1]):
            if parent not in made and str(parent) != "/tmp":
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        args += [how, str(path), str(path)]
    return args


def in_folder(path: Path, folder: Path) -> bool:
    return path != folder and path.is_relative_to(folder)


def give(folder: Path, uid: int, mode: int) -> None:
    """Make `folder` and all in it belong to `uid` (never following a link)."""
    os.lchown(folder, uid, uid)
    os.chmod(folder, mode)
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.lchown(os.path.join(parent, name), uid, uid)


def kill_processes_of(uid: int, seconds: float = 10.0) -> None:
    """Kill every process of `uid` (only this worker's sandbox runs as it) and wait until
    none is left: then none can change the folder while the grader writes there."""
    deadline = time.monotonic() + seconds
    while pids := processes_of(uid):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise SandboxError(f"processes of uid {uid} survive SIGKILL: {pids[:10]}")
        time.sleep(0.05)


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real uid is `uid`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(
                line.split(":", 1) for line in (entry / "status").read_text().splitlines()
            )
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(status["Uid"].split()[0]) == uid and status["State"].split()[0] not in "ZX":
            pids.append(int(entry.name))
    return pids


def remove_special_files(folder: Path) -> None:
    """Remove links, FIFOs, sockets and devices under `folder`; clear setuid/setgid bits."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(parent, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                if mode & (stat.S_ISUID | stat.S_ISGID):
                    os.chmod(path, stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
            else:
                os.unlink(path)
                if name in dirs:
                    dirs.remove(name)


def course_root(config) -> Path | None:
    root = config.get("CourseDirectory", {}).get("root")
    return Path(root) if isinstance(root, str) and root else None


class SandboxedKernelManager(AsyncKernelManager):
    """The kernel manager of nbgrader's Execute: starts each kernel in a Sandbox of its
    working folder when the course's grading.toml says so (and the tools work); otherwise
    it is exactly jupyter_client's AsyncKernelManager."""

    sandbox: Sandbox | None = None

    async def _async_pre_start_kernel(self, **kw):
        root = course_root(self.config)
        if kw.get("cwd") and root and active(root):
            self.sandbox = Sandbox(Path(kw["cwd"]), processes=settings(root)[1])
            self.transport, self.ip, self.cache_ports = "ipc", self.sandbox.ip, False
            self.connection_file = str(self.sandbox.folder / CONNECTION_FILE)
            self.kernel_spec.interrupt_mode = "message"  # a signal would reach only bwrap
        return await super()._async_pre_start_kernel(**kw)

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox and self.sandbox.uid is not None:  # the kernel reads it as its uid
            os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return self.sandbox.command(cmd) if self.sandbox else cmd

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if self.sandbox and not restart:
            if self.has_kernel:  # still running: nbclient could not stop it
                await self._async_kill_kernel()
            self.sandbox.restore()
            self.sandbox = None

    cleanup_resources = _async_cleanup_resources
