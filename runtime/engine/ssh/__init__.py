"""Reaching an engine over SSH (`ssh://[user@]host[:port][/path/to/docker.sock]`).

One SSH connection per host client, made with the user's own SSH setup (keys, agent,
~/.ssh/config, ProxyJump) by asyncssh; every HTTP connection to the engine is a
channel on it, forwarded to the engine's unix socket on the far side (what
`ssh -L local.sock:/var/run/docker.sock` does), so no call costs a handshake.

    target.py       the URL: user, host, port, remote socket
    host_keys.py    which known_hosts files are trusted; the words for an unknown or changed key
    login.py        the one SSH connection of a host client, and why it was refused
    socket_check.py why the engine's socket could not be opened on the far side
    stream.py       the httpcore network backend and the httpx transport over the channels

Imported only when an ssh:// host is used: asyncssh (and its cryptography) costs
an import that unix and tcp hosts never pay.
"""
