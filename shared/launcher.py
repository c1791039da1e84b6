"""`make run`: the whole platform on this machine, in the foreground; Ctrl-C stops all of it.

It makes sure RabbitMQ answers (starting the local server when it is installed), starts the
embedded SecantusDB under the data folder when MONGO_URI is unset, starts every service as
its own `nameko run` process, waits until each answers, loads the demo projects from the
report, and prints how to log in.
"""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # its import notice
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import logging  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import yaml  # noqa: E402
from kombu import Connection  # noqa: E402

from shared.config import DEFAULT_CONFIG, ROOT  # noqa: E402
from shared.embedded_db import EmbeddedMongo  # noqa: E402
from shared.healthcheck import check  # noqa: E402
from shared.reliable import SERVICES  # noqa: E402  (the gateway last: it starts once the others answer)

DEMO_FILE = ROOT / "shared" / "demo" / "projects.yaml"
DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"


class LaunchError(Exception):
    """A reason the platform cannot start, said in one line."""


def say(message: str) -> None:
    print(f"[kuaiban] {message}", flush=True)


def broker_answers(amqp_uri: str) -> bool:
    try:
        with eventlet.Timeout(5):
            with Connection(amqp_uri, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1)
        return True
    except BaseException:  # eventlet.Timeout is not an Exception
        return False


def ensure_rabbitmq(amqp_uri: str, wait_seconds: float = 60) -> None:
    if broker_answers(amqp_uri):
        return
    host = urlparse(amqp_uri).hostname
    server = shutil.which("rabbitmq-server")
    if host not in ("localhost", "127.0.0.1") or server is None:
        raise LaunchError(
            f"RabbitMQ does not answer at {host}: install it (apt-get install rabbitmq-server) "
            "or run `docker compose up -d rabbitmq`, or set AMQP_URI"
        )
    say("RabbitMQ is installed but not running; starting it (rabbitmq-server -detached)")
    subprocess.run([server, "-detached"], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if broker_answers(amqp_uri):
            return
        time.sleep(1)
    raise LaunchError(f"RabbitMQ did not come up within {wait_seconds:.0f}s; see its logs")


def secret_file(path: Path, env_value: str | None, nbytes: int = 12) -> str:
    """The value from the environment, else the one kept in `path` (unless shorter than a new
    one would be: the gateway refuses a short JWT key), else a new one kept there."""
    if env_value:
        return env_value
    length = len(secrets.token_urlsafe(nbytes))
    if path.exists() and len(kept := path.read_text(encoding="utf-8").strip()) >= length:
        return kept
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value, encoding="utf-8")
    path.chmod(0o600)
    return value


def http_json(method: str, url: str, body=None, token: str | None = None, timeout: float = 5):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class Platform:
    def __init__(self, data_dir: Path, port: int, demo: bool, environ: dict | None = None):
        self.data_dir = data_dir
        self.port = port
        self.demo = demo
        # The settings to start from (the fault tests pass their private broker and database).
        self.environ = dict(os.environ if environ is None else environ)
        self.processes: dict[str, subprocess.Popen] = {}
        self.database: EmbeddedMongo | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        amqp_uri = self.environ.get("AMQP_URI") or DEFAULT_AMQP_URI
        ensure_rabbitmq(amqp_uri)

        mongo_uri = self.environ.get("MONGO_URI")
        if not mongo_uri:
            self.database = EmbeddedMongo(self.data_dir / "secantus",
                                          log_path=self.data_dir / "logs" / "secantus.log")
            mongo_uri = self.database.start()
            say(f"embedded database (SecantusDB) on {mongo_uri}, data in {self.data_dir / 'secantus'}")
        (self.data_dir / "mongo_uri").write_text(mongo_uri, encoding="utf-8")

        self.admin_password = secret_file(self.data_dir / "admin_password",
                                          self.environ.get("KUAIBAN_ADMIN_PASSWORD"))
        self.env = env = {
            **self.environ,
            "AMQP_URI": amqp_uri,
            "MONGO_URI": mongo_uri,
            "KUAIBAN_ADMIN_PASSWORD": self.admin_password,
            "KUAIBAN_JWT_SECRET": secret_file(self.data_dir / "jwt_secret",
                                              self.environ.get("KUAIBAN_JWT_SECRET"), nbytes=48),
            "WEB_SERVER_ADDRESS": f"0.0.0.0:{self.port}",
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": self.environ.get("PYTHONWARNINGS", "ignore"),
        }
        self.config = {**yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8")),
                       "AMQP_URI": amqp_uri}
        for name in SERVICES:
            if name == "gateway":
                self.wait_for_services(env)
            self.spawn(name)
        self.wait_ready()
        if self.demo:
            self.load_demo()

    def spawn(self, name: str, **settings: str) -> subprocess.Popen:
        """Start service `name` as its own `nameko run` process (again, after a crash), with
        `settings` added to its environment (the fault tests inject faults this way)."""
        log = open(self.data_dir / "logs" / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", str(DEFAULT_CONFIG),
             SERVICES[name]],
            cwd=ROOT, env={**self.env, **settings}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        (self.data_dir / "pids").write_text(
            "\n".join(str(p.pid) for p in self.all_pids()), encoding="utf-8")
        return self.processes[name]

    def all_pids(self):
        yield from self.processes.values()
        if self.database and self.database.process:
            yield self.database.process

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise LaunchError(
                    f"{name} exited with {process.returncode}; see {self.data_dir}/logs/{name}.log")

    def wait_for_services(self, env, timeout: float = 120) -> None:
        config = {**self.config, "AMQP_URI": env["AMQP_URI"]}
        deadline = time.monotonic() + timeout
        pending = [n for n in self.processes]
        while pending:
            self.check_alive()
            if time.monotonic() > deadline:
                raise LaunchError(f"no answer within {timeout:.0f}s from: {', '.join(pending)}")
            try:
                check(pending[0], config, timeout=2)
                pending.pop(0)
            except Exception:
                time.sleep(0.3)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                status, _ = http_json("GET", f"{self.base_url}/readyz", timeout=2)
                if status == 200:
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.3)
        raise LaunchError(f"the gateway was not ready within {timeout:.0f}s")

    def token(self) -> str:
        status, body = http_json("POST", f"{self.base_url}/api/v1/auth/token",
                                 {"username": "admin", "password": self.admin_password})
        if status != 200:
            raise LaunchError(f"cannot log in as admin ({status}): is .data/admin_password stale?")
        return body["access_token"]

    def load_demo(self) -> None:
        """Take in the report's projects through the API, then replay what happened since
        (four ones, stage moves, milestone dates). Each step is skipped when already done, so
        a restart or a run cut short by Ctrl-C converges on the same data."""
        token = self.token()
        projects = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
        created = 0
        for project in projects:
            history = {key: project.pop(key, None) for key in ("four_ones", "stages", "milestones")}
            status, body = http_json("POST", f"{self.base_url}/api/v1/leads", project, token)
            if status == 201:
                created += 1
                lead_id = body["id"]
            elif status == 409:  # loaded by an earlier run
                lead_id = body["existing_id"]
            else:
                raise LaunchError(f"demo project {project['title']} refused: {status} {body}")
            self.replay_demo_history(lead_id, project["title"], history, token)
        say(f"demo projects: {created} loaded, {len(projects) - created} already there")

    def replay_demo_history(self, lead_id: str, title: str, history: dict, token: str) -> None:
        stages = ("lead", "negotiating", "signed", "land", "construction", "production")
        lead_url = f"{self.base_url}/api/v1/leads/{lead_id}"
        _, lead = http_json("GET", lead_url, token=token)
        steps = []
        if history["four_ones"] and not lead.get("four_ones"):
            steps.append(("PUT", f"{lead_url}/four-ones", history["four_ones"]))
        for move in history["stages"] or []:
            if stages.index(move["stage"]) > stages.index(lead["stage"]):
                steps.append(("POST", f"{lead_url}/stage", move))
        recorded = lead.get("milestones") or {}
        for milestone, actual in (history["milestones"] or {}).items():
            if milestone not in recorded:
                steps.append(("POST", f"{lead_url}/milestones/{milestone}", {"actual_date": actual}))
        for method, url, body in steps:
            status, answer = http_json(method, url, body, token)
            if status != 200:
                raise LaunchError(f"demo project {title}: {method} {url} refused: {status} {answer}")

    def stop(self) -> None:
        # A second Ctrl-C (or SIGTERM) must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.database:
            self.database.stop()


def stop_requested(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install_stop_handlers() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop everything. Both set explicitly: a process started as a
    script's background job or by some supervisors inherits SIGINT ignored, and Python then
    installs no handler of its own, so Ctrl-C would do nothing."""
    signal.signal(signal.SIGINT, stop_requested)
    signal.signal(signal.SIGTERM, stop_requested)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("KUAIBAN_DATA_DIR", ROOT / ".data"),
                        type=Path)
    parser.add_argument("--port", default=int(os.environ.get("KUAIBAN_PORT", 8000)), type=int)
    parser.add_argument("--no-demo", dest="demo", action="store_false")
    args = parser.parse_args(argv)
    # Health probes of services still starting make amqp log channel-closing chatter.
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)

    platform = Platform(args.data_dir.resolve(), args.port, args.demo)
    install_stop_handlers()
    try:
        platform.start()
        say(f"Kuaiban is up on http://localhost:{args.port} (logs in {args.data_dir}/logs)")
        say(f"log in as admin with password {platform.admin_password}:")
        say(f"  curl -s -X POST http://localhost:{args.port}/api/v1/auth/token "
            f"-H 'Content-Type: application/json' "
            f"-d '{{\"username\": \"admin\", \"password\": \"{platform.admin_password}\"}}'")
        say("Ctrl-C stops everything")
        while True:
            platform.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping")
        return 0
    except LaunchError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        platform.stop()


if __name__ == "__main__":
    sys.exit(main())
