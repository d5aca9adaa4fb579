"""git's own battery for external credential helpers, t/t0303-credential-external.sh from the
built git 2.55 tree, run against the installed git-credential-truto with every case of
t/lib-credential.sh it runs by default plus helper_test_authtype, which t0303 does not call (the
timeout cases need a helper with a timeout option, which this one has not).

The script runs as a copy outside the build tree (from the tree's t/, where it sources test-lib.sh),
with its trash directory and results in the test's own temporary directory, so two runs at once
never share anything."""

import os
import subprocess

from conftest import BIN
from git_server_support import git_build_tree

AUTHTYPE_CALL = 'helper_test_authtype "$GIT_TEST_CREDENTIAL_HELPER"\n'
AFTER = 'helper_test_oauth_refresh_token "$GIT_TEST_CREDENTIAL_HELPER"\n'


def test_t0303_with_helper_test_authtype_passes_in_full(env, tmp_path, config_dir):
    tree = git_build_tree()
    source = open(os.path.join(tree, "t", "t0303-credential-external.sh"), encoding="utf-8").read()
    assert source.count(AFTER) == 1 and "helper_test_authtype" not in source
    script = tmp_path / "t0303-credential-external.sh"
    script.write_text(source.replace(AFTER, AFTER + AUTHTYPE_CALL))
    run_env = {k: v for k, v in env.items() if not k.startswith("GIT_")}
    run_env.update(
        TEST_DIRECTORY=os.path.join(tree, "t"),
        TEST_OUTPUT_DIRECTORY=str(tmp_path / "out"),
        GIT_TEST_CREDENTIAL_HELPER="truto",
        # test-lib.sh gives the tests their own HOME; the helper gets its own config directory
        # (and with it its own keyring namespace) and is found on PATH, as when installed.
        GIT_TEST_CREDENTIAL_HELPER_SETUP=f"TRUTO_CONFIG_DIR='{config_dir}'; PATH='{BIN}':$PATH; "
        "export TRUTO_CONFIG_DIR PATH",
    )
    done = subprocess.run(
        ["sh", str(script), "-v", f"--root={tmp_path / 'trash'}"],
        cwd=os.path.join(tree, "t"),
        env=run_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert "\nnot ok " not in out and "# passed all " in out, out[-4000:]
    ran = [line for line in out.splitlines() if line.startswith("ok ")]
    assert any("helper (truto) gets authtype and credential" in line for line in ran)
    assert any("helper (truto) can store empty username" in line for line in ran)
    assert len(ran) >= 29 and f"# passed all {len(ran)} test(s)" in out
