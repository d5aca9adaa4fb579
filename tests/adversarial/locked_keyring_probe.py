"""Run inside a private keyring session of its own (scripts/keyring-session): store a credential,
lock the default collection over D-Bus, then run the commands given as JSON on argv[1] and print
their results as JSON. A separate session, so locking it never disturbs the suite's keyring."""

import json
import os
import subprocess
import sys
import time

import secretstorage


def main():
    spec = json.loads(sys.argv[1])
    env = dict(os.environ)
    for name, argv, data in spec["setup"]:
        p = subprocess.run(argv, input=data, env=env, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            print(json.dumps({"setup_failed": name, "stderr": p.stderr}))
            return 1
    conn = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(conn)
    collection.lock()
    assert collection.is_locked()
    results = {}
    for name, argv, data in spec["commands"]:
        env2 = dict(env, TRUTO_KEYRING_TIMEOUT=str(spec["keyring_timeout"]))
        start = time.monotonic()
        try:
            p = subprocess.run(argv, input=data, env=env2, capture_output=True, text=True, timeout=spec["guard"])
            results[name] = {
                "rc": p.returncode,
                "stdout": p.stdout,
                "stderr": p.stderr,
                "elapsed": time.monotonic() - start,
            }
        except subprocess.TimeoutExpired:
            results[name] = {"rc": None, "stdout": "", "stderr": "", "elapsed": time.monotonic() - start, "hung": True}
    results["_still_locked"] = collection.is_locked()
    conn.close()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
