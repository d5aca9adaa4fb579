"""Credentials as git and docker hand them to the store, for the rule tables."""

from truto_credential_helper import config
from truto_credential_helper.credential import Credential
from truto_credential_helper.credential_ops import store_credential

HOST = "api.example"


def git(user, secret, host=HOST, protocol="https", path=None, **more):
    """What `git credential approve` stores: user name and password."""
    return "password", Credential(protocol=protocol, host=host, path=path, username=user, password=secret, **more)


def git_authtype(scheme, secret, host=HOST, user=None, **more):
    """git 2.46+ with the authtype capability: a pre-encoded credential, no password."""
    return "authtype", Credential(
        protocol="https", host=host, username=user, authtype=scheme, credential=secret, **more
    )


def docker(user, secret, host=HOST):
    """What `docker login` stores (a token: docker keeps one login per registry)."""
    return "token", Credential(protocol="https", host=host, username=user, password=secret)


def profiles(directory):
    """{name: settings} of config.json (empty when there is none)."""
    return config.load(str(directory))["profiles"]


def subset(settings, expected):
    """The keys of `expected` as `settings` has them (None: absent), to compare one rule at a time
    without depending on settings the row does not speak of."""
    return {key: settings.get(key) for key in expected}


def store_all(config_dir, steps):
    """Store each (credential type, Credential) in order as its protocol's helper does (docker marks
    its login with the URL); the profile names store_credential returned."""
    names = []
    for kind, incoming in steps:
        docker_url = f"https://{incoming.host}" if kind == "token" else None
        names.append(
            store_credential(
                incoming,
                kind,
                base_name="docker" if kind == "token" else "git",
                docker_server_url=docker_url,
                directory=str(config_dir),
            )
        )
    return names
