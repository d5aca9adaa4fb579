"""Marks on argparse actions that `truto completion` reads: what an argument takes, and which
options are global. Apart from completion.py so that the commands defining their arguments need
not import the completion engine (which imports every command's parser)."""

# Arguments completed from data rather than the parser: marked with completes() where they are
# defined, so an option is completed by what it takes, never by what its dest happens to be called.
PROFILE = "profile"  # profile names
KEY = "key"  # profile keys: every spelling the documentation's table accepts
KIND = "kind"  # set-key kinds


def completes(action, what):
    """Mark an argparse action as taking a PROFILE name, a profile KEY or a set-key KIND."""
    action.truto_completes = what
    return action


def global_option(action):
    """Mark a global option: completed on every command though its help is listed only once."""
    action.truto_global = True
    return action
