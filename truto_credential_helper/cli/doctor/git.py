"""`truto doctor`'s check that git asks truto for each profile's origin."""

from .report import FAIL, INFO, OK, profile_flag


def check_git(checks, origins):
    from ... import git_config

    if not origins:
        return
    if not git_config.git_available():
        checks.add("git", INFO, "git is not installed; nothing to set up")
        return
    for label, url, name in origins:
        try:
            origin = git_config.origin_url(url)
        except ValueError:
            continue  # reported by the schema or environment check
        helper = git_config.effective_helper(origin)
        if git_config.points_at_us(helper):
            problem = git_config.unstartable(helper)
            if problem is None:
                checks.add("git", OK, f"{label}: git asks truto for {origin}")
            else:
                checks.add(
                    "git",
                    FAIL,
                    f"{label}: git is set up for {origin}, but cannot start its helper: {problem}",
                    f"truto auth setup-git{profile_flag(name)} (writes the helper's absolute path)",
                )
        else:
            other = f" (it uses credential.helper '{helper}')" if helper else ""
            checks.add(
                "git",
                INFO,
                f"{label}: git is not set up to ask truto for {origin}{other}",
                f"truto auth setup-git{profile_flag(name)}",
            )
