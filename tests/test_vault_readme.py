"""The "Teams and CI at scale" recipes of docs/secret-stores.md, run as written (as
tests/test_readme_recipes.py runs the other sections) against a real OpenBao dev server and the stub
API: a platform team publishes, a developer joins, a CI job logs in to Vault with a JWT."""

from conftest import GOOD_TOKEN
from test_readme_recipes import run_recipes
from vault_support import WRITE_POLICY, JwtIssuer, enable_jwt, start_dev


def test_teams_and_ci_at_scale(run, env, stub_api, tmp_path):
    server = start_dev(tmp_path / "bao")
    try:
        server.standard_policies()
        issuer = JwtIssuer()
        enable_jwt(server, issuer, role="truto-ci")
        jwt_file = tmp_path / "ci-job-jwt"
        jwt_file.write_text(issuer.sign())
        home = tmp_path / "home"
        home.mkdir()
        (tmp_path / "tmp").mkdir()
        e = dict(
            env,
            HOME=str(home),
            TMPDIR=str(tmp_path / "tmp"),
            VAULT_ADDR=server.address,
            TRUTO_API_URL=stub_api.url,
            TRUTO_TOKEN=GOOD_TOKEN,
            CI_JOB_JWT_FILE=str(jwt_file),
            XDG_CONFIG_HOME=str(home / ".config"),
        )
        # The platform team's token (VAULT_TOKEN) may write; CI's JWT role may only read, and its
        # block succeeds only through the JWT login (it comes before VAULT_TOKEN and has no fallback).
        e["VAULT_TOKEN"] = server.token([WRITE_POLICY])
        out = run_recipes(run, "Teams and CI at scale", e, tmp_path)
        assert server.kv_get("teams/truto") == {"apiToken": GOOD_TOKEN}
        assert "Acme Integrations" in out and "secret/teams/truto" in out
    finally:
        server.stop()
