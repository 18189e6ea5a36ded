//! One prepared interactive session to a device, and the platform driver that runs on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::device::Platform;
use russh::client::{self, Handle, Msg};
use russh::keys::{HashAlg, PublicKeyOrCertificate};
use russh::{Channel, ChannelMsg, Disconnect};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::prompt::{self, Mode, Prompt};
use super::{HostKeyStore, Inner, SshError, SshTarget};

/// Output larger than this is treated as a broken device rather than buffered without end.
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

type Mismatch = Arc<Mutex<Option<(String, String)>>>;

/// russh callbacks: host key pinning (trust on first use).
pub(crate) struct ClientHandler {
    key_id: String,
    store: Arc<dyn HostKeyStore>,
    /// Set when the presented key differs from the stored one, to tell that apart from other
    /// handshake failures (russh only reports "unknown key").
    mismatch: Mismatch,
}

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let presented = fingerprint(key);
        match self.store.known(&self.key_id).await {
            Some(expected) if expected == presented => Ok(true),
            Some(expected) => {
                tracing::warn!(device = %self.key_id, %expected, %presented, "ssh host key mismatch");
                *self.mismatch.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((expected, presented));
                Ok(false)
            }
            None => {
                tracing::debug!(device = %self.key_id, fingerprint = %presented, "ssh host key trusted on first use");
                self.store.trust_first_use(&self.key_id, &presented).await;
                Ok(true)
            }
        }
    }
}

/// OpenSSH-style `SHA256:<base64>` fingerprint of a host key (of the signing key for a certificate).
#[must_use]
pub fn fingerprint(key: &PublicKeyOrCertificate) -> String {
    match key {
        PublicKeyOrCertificate::PublicKey { key, .. } => key.fingerprint(HashAlg::Sha256).to_string(),
        PublicKeyOrCertificate::Certificate(cert) => cert.public_key().fingerprint(HashAlg::Sha256).to_string(),
    }
}

/// An interactive PTY shell on one device, prepared by its platform driver.
pub struct DeviceSession {
    device_id: String,
    platform: Platform,
    command_timeout: Duration,
    channel: Channel<Msg>,
    handle: Handle<ClientHandler>,
    /// The bastion connection that carries this session, kept open as long as the session.
    jump: Option<Handle<ClientHandler>>,
    _permit: OwnedSemaphorePermit,
    buf: Vec<u8>,
    prompt: Prompt,
    /// Why the session can no longer be trusted (a read timed out mid-command, the channel closed).
    broken: Option<String>,
}

/// How a read ends besides the prompt.
#[derive(Clone, Copy)]
enum Until {
    Prompt,
    /// The prompt, or a last line containing one of these (a question such as `Password: `).
    PromptOr(&'static [&'static str]),
}

struct Reply {
    output: String,
    /// The prompt that ended the read; `None` when an alternative ended it.
    prompt: Option<Prompt>,
}

/// Connects, authenticates, opens the shell and prepares it (one attempt, no retry).
pub(crate) async fn establish(
    target: &SshTarget,
    inner: &Inner,
    permit: OwnedSemaphorePermit,
) -> Result<DeviceSession, SshError> {
    let connect_timeout = inner.config.connect_timeout;
    let connected = tokio::time::timeout(connect_timeout, connect(target, inner))
        .await
        .map_err(|_| SshError::Timeout { stage: "connect", after: connect_timeout })??;
    let (handle, jump, channel) = connected;
    let mut session = DeviceSession {
        device_id: target.device_id.clone(),
        platform: target.platform,
        command_timeout: inner.config.command_timeout,
        channel,
        handle,
        jump,
        _permit: permit,
        buf: Vec::with_capacity(16 * 1024),
        prompt: Prompt { base: String::new(), mode: Mode::Exec },
        broken: None,
    };
    session.prepare(target.enable_secret.as_deref()).await?;
    Ok(session)
}

type Connected = (Handle<ClientHandler>, Option<Handle<ClientHandler>>, Channel<Msg>);

async fn connect(target: &SshTarget, inner: &Inner) -> Result<Connected, SshError> {
    let handler = ClientHandler {
        key_id: target.device_id.clone(),
        store: Arc::clone(&inner.host_keys),
        mismatch: Mismatch::default(),
    };
    let mismatch = Arc::clone(&handler.mismatch);
    let (mut handle, jump) = match &target.jump {
        None => {
            let stream = tcp(&target.host, target.port).await?;
            let handle = client::connect_stream(Arc::clone(&inner.client), stream, handler)
                .await
                .map_err(|e| handshake_error(e, &mismatch, &target.host, target.port))?;
            (handle, None)
        }
        Some(jump) => {
            // The bastion's key is pinned under its own id, apart from the devices behind it.
            let bastion_handler = ClientHandler {
                key_id: format!("jump:{}:{}", jump.host, jump.port),
                store: Arc::clone(&inner.host_keys),
                mismatch: Mismatch::default(),
            };
            let bastion_mismatch = Arc::clone(&bastion_handler.mismatch);
            let stream = tcp(&jump.host, jump.port).await?;
            let mut bastion = client::connect_stream(Arc::clone(&inner.client), stream, bastion_handler)
                .await
                .map_err(|e| handshake_error(e, &bastion_mismatch, &jump.host, jump.port))?;
            authenticate(&mut bastion, &jump.username, &jump.password).await?;
            let tunnel = bastion
                .channel_open_direct_tcpip(target.host.clone(), u32::from(target.port), "127.0.0.1", 0)
                .await
                .map_err(|e| {
                    SshError::Connect(format!(
                        "jump host {}:{} could not open a tunnel to {}:{}: {e}",
                        jump.host, jump.port, target.host, target.port
                    ))
                })?;
            let handle = client::connect_stream(Arc::clone(&inner.client), tunnel.into_stream(), handler)
                .await
                .map_err(|e| handshake_error(e, &mismatch, &target.host, target.port))?;
            (handle, Some(bastion))
        }
    };
    authenticate(&mut handle, &target.username, &target.password).await?;
    let channel = handle.channel_open_session().await.map_err(|e| session_error("open session channel", &e))?;
    // netmiko asks for the same terminal; wide lines keep devices from wrapping long commands.
    channel.request_pty(false, "vt100", 511, 1000, 0, 0, &[]).await.map_err(|e| session_error("request pty", &e))?;
    channel.request_shell(false).await.map_err(|e| session_error("request shell", &e))?;
    Ok((handle, jump, channel))
}

async fn tcp(host: &str, port: u16) -> Result<TcpStream, SshError> {
    let stream =
        TcpStream::connect((host, port)).await.map_err(|e| SshError::Connect(format!("{host}:{port}: {e}")))?;
    // Small interactive writes: Nagle would add a round trip of delay to each command.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "set_nodelay failed");
    }
    Ok(stream)
}

async fn authenticate(handle: &mut Handle<ClientHandler>, user: &str, password: &str) -> Result<(), SshError> {
    match handle.authenticate_password(user, password).await {
        Ok(result) if result.success() => Ok(()),
        Ok(_) => Err(SshError::Auth),
        Err(e) => Err(session_error("authenticate", &e)),
    }
}

fn handshake_error(error: russh::Error, mismatch: &Mismatch, host: &str, port: u16) -> SshError {
    if let Some((expected, presented)) = mismatch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
        return SshError::HostKeyMismatch { expected, presented };
    }
    match error {
        russh::Error::UnknownKey => SshError::Protocol(format!("{host}:{port}: host key refused")),
        russh::Error::IO(e) => SshError::Connect(format!("{host}:{port}: {e}")),
        russh::Error::Disconnect | russh::Error::HUP => {
            SshError::Connect(format!("{host}:{port}: connection closed during handshake"))
        }
        other => SshError::Connect(format!("{host}:{port}: ssh handshake: {other}")),
    }
}

fn session_error(stage: &str, error: &russh::Error) -> SshError {
    match error {
        russh::Error::Disconnect | russh::Error::HUP | russh::Error::SendError | russh::Error::IO(_) => {
            SshError::Disconnected(format!("{stage}: {error}"))
        }
        other => SshError::Protocol(format!("{stage}: {other}")),
    }
}

impl DeviceSession {
    #[must_use]
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    #[must_use]
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The prompt the device shows now (hostname part and mode).
    #[must_use]
    pub fn prompt(&self) -> &Prompt {
        &self.prompt
    }

    /// Runs one command in exec mode and returns its output without echo and prompt, `\n` lines.
    pub async fn run(&mut self, command: &str) -> Result<String, SshError> {
        let reply = self.exchange(command, true, Until::Prompt, false).await?;
        Ok(reply.output)
    }

    /// Enters configuration mode, sends `lines`, and leaves it again (Junos: after a commit that
    /// must report `commit complete`). A refused line leaves config mode (Junos: discards the
    /// candidate) and returns [`SshError::Rejected`]. Returns the device's replies, in order.
    pub async fn configure(&mut self, lines: &[String]) -> Result<String, SshError> {
        let enter = match self.platform {
            Platform::CiscoIos | Platform::ArubaAoscx => "configure terminal",
            Platform::JuniperJunos => "configure",
        };
        let reply = self.exchange(enter, true, Until::Prompt, false).await?;
        if self.prompt.mode != Mode::Config {
            return Err(SshError::Protocol(format!("{enter:?} did not enter configuration mode: {}", reply.output)));
        }
        let mut transcript = String::new();
        for line in lines {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            let renames = is_hostname_change(self.platform, line);
            let reply = self.exchange(line, true, Until::Prompt, renames).await?;
            if prompt::rejection(&reply.output) {
                self.abandon_config().await;
                return Err(SshError::Rejected { line: line.to_owned(), output: reply.output });
            }
            transcript.push_str(&reply.output);
        }
        if self.platform == Platform::JuniperJunos {
            let reply = self.exchange("commit", true, Until::Prompt, false).await?;
            if !reply.output.contains("commit complete") {
                self.abandon_config().await;
                return Err(SshError::Rejected { line: "commit".into(), output: reply.output });
            }
            transcript.push_str(&reply.output);
        }
        self.leave_config().await?;
        Ok(transcript)
    }

    /// Saves the running configuration (IOS/AOS-CX `write memory`, which must answer `[OK]` or
    /// success); a no-op on Junos, where the commit in [`Self::configure`] already saved.
    pub async fn save(&mut self) -> Result<String, SshError> {
        if self.platform == Platform::JuniperJunos {
            return Ok(String::new());
        }
        let reply = self.exchange("write memory", true, Until::Prompt, false).await?;
        if prompt::rejection(&reply.output) {
            return Err(SshError::Rejected { line: "write memory".into(), output: reply.output });
        }
        let lower = reply.output.to_ascii_lowercase();
        if !(reply.output.contains("[OK]") || lower.contains("success")) {
            return Err(SshError::Protocol(format!("write memory was not confirmed: {}", reply.output.trim())));
        }
        Ok(reply.output)
    }

    /// Closes the session without waiting for the device (it must cope with abrupt closes, as it
    /// does with netmiko's).
    pub async fn close(self) {
        // Errors here only mean the device closed first.
        let _ = self.channel.close().await;
        let _ = self.handle.disconnect(Disconnect::ByApplication, "", "en").await;
        if let Some(jump) = self.jump {
            let _ = jump.disconnect(Disconnect::ByApplication, "", "en").await;
        }
    }

    async fn prepare(&mut self, enable_secret: Option<&str>) -> Result<(), SshError> {
        // Typed ahead in one write, as a person pasting would: the device answers in order, so the
        // echo of the last line followed by a prompt means all are done, and that prompt tells
        // hostname and mode. Saves a round trip per line on every connection.
        let (ahead, last): (&[&str], &str) = match self.platform {
            Platform::CiscoIos => (&["terminal length 0"], "terminal width 511"),
            Platform::ArubaAoscx => (&[], "no page"),
            Platform::JuniperJunos => (&["set cli screen-length 0"], "set cli screen-width 511"),
        };
        self.exchange_after(ahead, last, true, Until::Prompt, true).await?;
        if self.prompt.mode == Mode::User {
            if let Some(secret) = enable_secret {
                self.enable(secret).await?;
            }
        }
        Ok(())
    }

    async fn enable(&mut self, secret: &str) -> Result<(), SshError> {
        let reply = self.exchange("enable", true, Until::PromptOr(&["assword"]), false).await?;
        if reply.prompt.is_none() {
            // The secret is not echoed, so no echo sync for this one. A wrong secret is asked
            // for again (IOS allows three tries): one refusal is enough to stop.
            let reply = self.exchange(secret, false, Until::PromptOr(&["assword"]), false).await?;
            if reply.prompt.is_none() {
                self.broken = Some("enable secret refused".into());
                return Err(SshError::Auth);
            }
        }
        if self.prompt.mode == Mode::Exec {
            Ok(())
        } else {
            Err(SshError::Auth)
        }
    }

    async fn leave_config(&mut self) -> Result<(), SshError> {
        match self.platform {
            Platform::CiscoIos | Platform::ArubaAoscx => {
                self.exchange("end", true, Until::Prompt, true).await?;
            }
            Platform::JuniperJunos => {
                let reply =
                    self.exchange("exit configuration-mode", true, Until::PromptOr(&["[yes,no]"]), true).await?;
                if reply.prompt.is_none() {
                    self.exchange("yes", true, Until::Prompt, true).await?;
                }
            }
        }
        if self.prompt.mode == Mode::Config {
            return Err(SshError::Protocol("device stayed in configuration mode".into()));
        }
        Ok(())
    }

    /// Best effort after a refusal: drop uncommitted Junos changes and return to exec mode.
    async fn abandon_config(&mut self) {
        if self.platform == Platform::JuniperJunos {
            if let Err(error) = self.exchange("rollback 0", true, Until::Prompt, false).await {
                tracing::debug!(device = %self.device_id, %error, "rollback after refusal failed");
            }
        }
        if let Err(error) = self.leave_config().await {
            tracing::warn!(device = %self.device_id, %error, "could not leave configuration mode after a refusal");
        }
    }

    /// Sends one line and reads the reply.
    ///
    /// With `echo`, everything before the device's echo of the line is dropped: a stale prompt
    /// (from the login banner or an earlier Enter) cannot end this read early. The read ends when
    /// the last line is a prompt of this device, or any prompt of the platform when `any_host`
    /// (the line may rename the device, or the hostname is not yet known).
    async fn exchange(&mut self, line: &str, echo: bool, until: Until, any_host: bool) -> Result<Reply, SshError> {
        self.exchange_after(&[], line, echo, until, any_host).await
    }

    /// [`Self::exchange`] with `ahead` sent first in the same write; their replies are skipped.
    async fn exchange_after(
        &mut self,
        ahead: &[&str],
        line: &str,
        echo: bool,
        until: Until,
        any_host: bool,
    ) -> Result<Reply, SshError> {
        if let Some(why) = &self.broken {
            return Err(SshError::Disconnected(format!("session unusable: {why}")));
        }
        self.buf.clear();
        let enter = if self.platform == Platform::ArubaAoscx { "\r" } else { "\n" };
        let mut data = Vec::with_capacity(line.len() + 1);
        for typed in ahead.iter().chain(std::iter::once(&line)) {
            data.extend_from_slice(typed.as_bytes());
            data.extend_from_slice(enter.as_bytes());
        }
        if let Err(e) = self.channel.data_bytes(data).await {
            let error = session_error("send", &e);
            self.broken = Some(error.to_string());
            return Err(error);
        }
        let deadline = Instant::now() + self.command_timeout;
        let mut body_start = if echo { None } else { Some(0) };
        let mut searched = 0;
        loop {
            self.receive(deadline).await?;
            let start = match body_start {
                Some(start) => start,
                None => match prompt::find_echo_end(&self.buf, searched, line) {
                    Some(end) => {
                        body_start = Some(end);
                        end
                    }
                    None => {
                        // Resume the search where a partial echo could still begin.
                        searched = self.buf.len().saturating_sub(line.len() + 2);
                        continue;
                    }
                },
            };
            let body = &self.buf[start..];
            let last = prompt::last_line(body);
            if let Some(found) = prompt::parse_prompt(self.platform, &last) {
                if any_host || found.base == self.prompt.base {
                    let output = prompt::command_output(body);
                    self.prompt = found.clone();
                    return Ok(Reply { output, prompt: Some(found) });
                }
            }
            if let Until::PromptOr(alternatives) = until {
                if alternatives.iter().any(|alt| last.contains(alt)) {
                    return Ok(Reply { output: prompt::normalise(body), prompt: None });
                }
            }
        }
    }

    /// Appends the next chunk from the device to the buffer.
    async fn receive(&mut self, deadline: Instant) -> Result<(), SshError> {
        loop {
            let message = match tokio::time::timeout_at(deadline, self.channel.wait()).await {
                Ok(message) => message,
                Err(_) => {
                    let error = SshError::Timeout { stage: "command", after: self.command_timeout };
                    self.broken = Some(error.to_string());
                    return Err(error);
                }
            };
            match message {
                Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }) => {
                    if self.buf.len() + data.len() > MAX_OUTPUT {
                        let error = SshError::Protocol(format!("output over {MAX_OUTPUT} bytes"));
                        self.broken = Some(error.to_string());
                        return Err(error);
                    }
                    self.buf.extend_from_slice(&data);
                    return Ok(());
                }
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                    let error = SshError::Disconnected("device closed the session".into());
                    self.broken = Some(error.to_string());
                    return Err(error);
                }
                Some(_) => {}
            }
        }
    }
}

fn is_hostname_change(platform: Platform, line: &str) -> bool {
    let line = line.trim_start();
    match platform {
        Platform::CiscoIos | Platform::ArubaAoscx => line.starts_with("hostname "),
        Platform::JuniperJunos => line.contains("host-name"),
    }
}

/// Running and startup configuration of a device, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigBackup {
    pub running: String,
    pub startup: String,
    /// Junos has no separate startup configuration: the committed configuration is what boots,
    /// so `startup` is a copy of `running` and no drift can be computed.
    pub startup_is_running: bool,
}

/// Reads the running and startup configuration: IOS/AOS-CX `show running-config` and
/// `show startup-config`, Junos `show configuration` (committed, hence also what boots).
pub async fn backup(session: &mut DeviceSession) -> Result<ConfigBackup, SshError> {
    match session.platform {
        Platform::CiscoIos | Platform::ArubaAoscx => {
            let running = session.run("show running-config").await?;
            let startup = session.run("show startup-config").await?;
            Ok(ConfigBackup { running, startup, startup_is_running: false })
        }
        Platform::JuniperJunos => {
            let running = session.run("show configuration").await?;
            Ok(ConfigBackup { startup: running.clone(), running, startup_is_running: true })
        }
    }
}
