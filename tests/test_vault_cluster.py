"""More than one Vault node: a three-node OpenBao cluster with integrated (raft) storage on
127.0.0.1. With every node a voter, the active node is killed; the helper's gets keep answering
from the others (a refused connection, or a standby without an active node, moves on to the next
address within the same TRUTO_TIMEOUT)."""

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN
from vault_support import READ_POLICY, start_cluster, vault_env, vault_login, wait_until


@pytest.fixture
def cluster(tmp_path):
    nodes = start_cluster(tmp_path / "raft")
    yield nodes
    nodes.stop()


def test_gets_keep_answering_when_the_active_node_dies(run, env, cluster, stub_api, tmp_path):
    leader = cluster.leader()
    leader.standard_policies()
    leader.kv_put("teams/ha", {"apiToken": GOOD_TOKEN})
    e = dict(vault_env(env, tmp_path, leader.token([READ_POLICY])), TRUTO_TIMEOUT="20")
    # The active node first: once it is dead, every read has to move on.
    order = [leader.address] + [a for a in cluster.addresses if a != leader.address]
    done = vault_login(run, leader, "teams/ha", stub_api, env=e, addresses=order)
    assert done.returncode == 0, done.stderr
    host = stub_api.url.split("://", 1)[1]

    def git_get():
        return run("git-credential-truto", "get", input=f"protocol=http\nhost={host}\n\n", env=e, timeout=60)

    done = git_get()
    assert f"password={GOOD_TOKEN}" in done.stdout, done.stderr

    leader.process.kill()
    leader.process.wait()
    for _ in range(3):  # right after the kill (election under way), and after
        done = git_get()
        assert done.returncode == 0 and f"password={GOOD_TOKEN}" in done.stdout, done.stderr

    wait_until(lambda: cluster.leader() is not None, timeout=60, what="a new active node")
    cluster.leader().kv_put("teams/ha", {"apiToken": OTHER_TOKEN})  # rotated on the new active node
    # OpenBao's raft standbys serve reads themselves (eventually consistent, by design): wait until
    # every live node has applied the write, then the next read, whichever node answers, sees it.
    live = [n for n in cluster.nodes if n.process.poll() is None]
    wait_until(
        lambda: all(n.kv_get("teams/ha") == {"apiToken": OTHER_TOKEN} for n in live), what="the rotation on every node"
    )
    done = run("truto", "auth", "token", env=e, timeout=60)
    assert done.stdout == OTHER_TOKEN + "\n", done.stderr
