"""Messages of the SSH gateway (``branchtui serve``) and the OpenSSH wrapper (``branchtui login``)."""

ZH: dict[str, str] = {
    "serve.cmd_serve": "启动 SSH 网关：党员用已登记的公钥通过 ssh 登录，每人一个独立的程序进程",
    "serve.opt_host": "监听地址（默认 127.0.0.1）",
    "serve.opt_port": "监听端口（默认 2222）",
    "serve.opt_host_key": "服务器主机密钥文件；不存在时自动生成",
    "serve.opt_idle": "空闲超时（秒），超时无输入则断开（默认 1800，0 表示不限）",
    "serve.opt_max": "同时在线会话数上限（默认 100）",
    "serve.cmd_login": "供 OpenSSH 的 ForceCommand 使用：以系统用户对应的党员身份打开程序",
    "serve.no_tty": "branchtui 需要终端，请用 ssh -t 连接。",
    "serve.too_many": "同时在线的人数已满，请稍后再试。",
    "serve.idle": "长时间没有操作，会话已断开。",
    "serve.shutting_down": "服务器正在关闭，请稍后重新连接。",
    "serve.listening": "SSH 网关已启动：{host}:{port}，主机密钥指纹 {fingerprint}",
    "serve.host_key_created": "已生成新的主机密钥：{path}",
    "serve.stopped": "SSH 网关已停止。",
}

EN: dict[str, str] = {
    "serve.cmd_serve": "Run the SSH gateway: members sign in over ssh with their registered keys, one app process each",
    "serve.opt_host": "Address to listen on (default 127.0.0.1)",
    "serve.opt_port": "Port to listen on (default 2222)",
    "serve.opt_host_key": "The server's host key file; created when missing",
    "serve.opt_idle": "Idle timeout in seconds: a session without input for this long is closed (default 1800, 0 for none)",
    "serve.opt_max": "Most sessions at the same time (default 100)",
    "serve.cmd_login": "For OpenSSH's ForceCommand: open the app as the member bound to the OS user",
    "serve.no_tty": "branchtui needs a terminal: connect with ssh -t.",
    "serve.too_many": "Too many people are signed in right now; please try again later.",
    "serve.idle": "The session was idle for too long and has been closed.",
    "serve.shutting_down": "The server is shutting down; please reconnect in a moment.",
    "serve.listening": "SSH gateway listening on {host}:{port}, host key {fingerprint}",
    "serve.host_key_created": "Created a new host key: {path}",
    "serve.stopped": "SSH gateway stopped.",
}
