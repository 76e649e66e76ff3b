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
    library.py      asyncssh, imported without its slow search for liboqs where there is none
    keep.py         a command's side of a connection kept between commands: the keeper's
                    socket, used when it answers, else the direct connection of stream.py
    keeper.py       the keeper: a background process per host that holds the SSH connection
                    for the commands that follow, and ends after an idle time

Imported only when an ssh:// host is used: asyncssh (and its cryptography) costs
an import that unix and tcp hosts never pay, and that a command going through a
keeper does not pay either (target.py and keep.py never import it).
"""
