"""`truto doctor`'s check that docker asks truto for each profile's registry, and what the helper
answers it."""

import shutil

from ...errors import TrutoError
from .report import FAIL, INFO, OK, WARN, one_line, profile_flag


def check_docker(checks, origins):
    """Per profile origin: whether docker's config names truto for its credHelpers key, and then
    what the helper answers when asked exactly that key, through the function `get` runs. A key
    that gets no answer is never ok: docker would send the registry no credentials."""
    from ... import docker_config

    if not origins:
        return
    path = docker_config.config_path()
    try:
        doc = docker_config.load(path)
    except TrutoError as e:
        checks.add("docker", WARN, one_line(e), "fix the file")
        return
    on_path = shutil.which("docker-credential-truto") is not None
    checked = set()
    for label, url, name in origins:
        try:
            host = docker_config.registry_host(url)
        except ValueError:
            continue
        checked.add(host)
        helper = docker_config.helper_for(doc, host)
        if helper != docker_config.HELPER:
            checks.add(
                "docker",
                INFO,
                f"{label}: docker is not set up to ask truto for {host}",
                f"truto auth setup-docker{profile_flag(name)}",
            )
            continue
        if not on_path:
            checks.add(
                "docker",
                FAIL,
                f"{label}: docker is set up for {host}, but docker-credential-truto is not on PATH",
                "put the directory truto is installed in on PATH",
            )
            continue
        status, message, fix = _docker_answer(label, host, url, name)
        if status == OK and (doc.get("credHelpers") or {}).get(host) != docker_config.HELPER:
            status, fix = WARN, f"truto auth setup-docker{profile_flag(name)}"
            message += " (through credsStore only, which skopeo, podman and buildah ignore)"
        checks.add("docker", status, message, fix)
    for key, helper in sorted((doc.get("credHelpers") or {}).items()):
        if helper == docker_config.HELPER and key not in checked and on_path:
            # No profile is for this key; it answers only once a docker or skopeo login stores one.
            status, message, _ = _docker_answer(f"credHelpers '{key}'", key, None, None)
            if status != OK:
                status, message = WARN, f"credHelpers '{key}': docker asks truto for {key}, but no profile answers it"
            checks.add(
                "docker",
                status,
                message,
                "" if status == OK else f"docker login {key} stores a credential for it, or drop the entry from {path}",
            )


def check_containers(checks, origins):
    """Per profile origin: whether the containers auth file (podman's and buildah's own, read
    before docker's) names truto for its key, and then what the helper answers, as for docker.
    A login podman stored in the file itself shadows truto for that registry."""
    from ... import docker_config

    if not origins:
        return
    try:
        path = docker_config.containers_auth_path()
        doc = docker_config.load(path)
    except TrutoError as e:
        checks.add("containers", WARN, one_line(e), "fix the file")
        return
    auths = doc.get("auths") if isinstance(doc.get("auths"), dict) else {}
    for label, url, name in origins:
        try:
            host = docker_config.registry_host(url)
        except ValueError:
            continue
        if (doc.get("credHelpers") or {}).get(host) != docker_config.HELPER:
            if host in auths:
                checks.add(
                    "containers",
                    WARN,
                    f"{label}: {path} holds a login for {host} of its own, which podman and buildah use instead of truto",
                    f"podman logout {host}, then truto auth setup-docker{profile_flag(name)}",
                )
            else:
                checks.add(
                    "containers",
                    INFO,
                    f"{label}: podman and buildah are not set up to ask truto for {host} ({path})",
                    f"truto auth setup-docker{profile_flag(name)}",
                )
            continue
        if shutil.which("docker-credential-truto") is None:
            checks.add(
                "containers",
                FAIL,
                f"{label}: podman and buildah are set up for {host}, but docker-credential-truto is not on PATH",
                "put the directory truto is installed in on PATH",
            )
            continue
        status, message, fix = _docker_answer(label, host, url, name)
        checks.add("containers", status, message.replace("docker asks", "podman and buildah ask", 1), fix)


def _docker_answer(label, host, url, name):
    """(status, message, fix) for what `docker-credential-truto get` answers the key `host`."""
    from ... import docker_config
    from ...helper import docker_get
    from ...protocols.docker import NotFound

    try:
        _, found = docker_get(host.encode("utf-8"))
    except NotFound:
        reason = docker_config.unanswerable(url) if url else None
        message = f"{label}: docker asks truto for {host}, but the helper answers nothing for it"
        if reason:
            return (
                FAIL,
                f"{message}: {reason}",
                (
                    f"truto login{profile_flag(name)} --api-url https://{host}, "
                    f"or truto auth setup-docker --remove{profile_flag(name)}"
                ),
            )
        return FAIL, message, f"truto login{profile_flag(name)}"
    except TrutoError as e:
        return FAIL, f"{label}: docker asks truto for {host}, and the helper fails: {one_line(e)}", ""
    who = f"profile '{found.profile}'" if found.profile else "TRUTO_API_TOKEN"
    return OK, f"{label}: docker asks truto for {host}, answered as user '{found.username}' ({who})", ""
