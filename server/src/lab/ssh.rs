//! SSH transport of the lab: one russh listener per device, PTY shells and exec channels driven by
//! the platform CLIs, direct-tcpip on the bastion, and fault injection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::PrivateKey;
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tracing::debug;

use super::device::{lock, open_cli, Cli, DeviceState};
use super::topology::Fault;

/// Outputs longer than this are cut in half by [`Fault::DropMidOutput`].
const DROP_THRESHOLD: usize = 200;
/// A typed line longer than this is cut: input is untrusted.
const MAX_LINE: usize = 8192;

/// Everything the transport needs to serve one device.
pub struct DeviceRuntime {
    pub name: String,
    pub username: String,
    pub password: String,
    pub state: Arc<Mutex<DeviceState>>,
    pub fault: RwLock<Option<Fault>>,
    pub jump_host: bool,
    pub config: Arc<russh::server::Config>,
}

impl DeviceRuntime {
    pub fn fault(&self) -> Option<Fault> {
        *self.fault.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A deterministic ed25519 host key: the same seed and name give the same key across restarts.
#[must_use]
pub fn host_key(seed: &str, name: &str) -> PrivateKey {
    let digest = Sha256::digest(format!("netledger-lab-host-key\0{seed}\0{name}").as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&digest);
    PrivateKey::from(Ed25519Keypair::from_seed(&bytes))
}

#[must_use]
pub fn server_config(key: PrivateKey) -> russh::server::Config {
    russh::server::Config {
        methods: MethodSet::from(&[MethodKind::Password][..]),
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(150),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(900)),
        nodelay: true,
        ..Default::default()
    }
}

/// Accepts connections for one device until `shutdown` flips.
pub async fn serve(listener: TcpListener, rt: Arc<DeviceRuntime>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                // `nodelay` in the russh config applies only to russh's own accept loop; without it
                // every small reply can wait for a delayed ACK (measured: 7x vs 10-15x netmiko).
                let _ = stream.set_nodelay(true);
                if rt.fault() == Some(Fault::Refuse) {
                    debug!(device = %rt.name, %peer, "refusing connection (fault)");
                    drop(stream);
                    continue;
                }
                let rt = Arc::clone(&rt);
                let stop = shutdown.clone();
                tokio::spawn(run_session(stream, rt, stop));
            }
        }
    }
}

async fn run_session(stream: TcpStream, rt: Arc<DeviceRuntime>, mut shutdown: watch::Receiver<bool>) {
    let config = Arc::clone(&rt.config);
    let handler = SshSession { rt: Arc::clone(&rt), channels: HashMap::new() };
    let session = match russh::server::run_stream(config, stream, handler).await {
        Ok(s) => s,
        Err(e) => {
            debug!(device = %rt.name, error = %e, "ssh setup failed");
            return;
        }
    };
    let handle = session.handle();
    tokio::select! {
        result = session => {
            if let Err(e) = result {
                debug!(device = %rt.name, error = %e, "ssh session ended with an error");
            }
        }
        () = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, "lab shutting down".into(), String::new())
                .await;
        }
    }
}

struct ChannelState {
    cli: Box<dyn Cli>,
    line: Vec<u8>,
    last_cr: bool,
    shell: bool,
    closed: bool,
}

struct SshSession {
    rt: Arc<DeviceRuntime>,
    channels: HashMap<ChannelId, ChannelState>,
}

/// Appends `text` with every `\n` turned into `\r\n`.
fn push_crlf(out: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        if b == b'\n' {
            out.extend_from_slice(b"\r\n");
        } else {
            out.push(b);
        }
    }
}

/// Corrupts output the way a bad line would: some bytes replaced, line structure kept.
fn garble(text: &str) -> String {
    const JUNK: &[char] = &['~', '@', '!', '^', '&', '?'];
    text.chars().enumerate().map(|(i, c)| if c == '\n' || i % 5 != 3 { c } else { JUNK[i % JUNK.len()] }).collect()
}

enum Step {
    /// Bytes to send.
    Send(Vec<u8>),
    /// Bytes to send, then close the channel.
    SendClose(Vec<u8>),
}

impl SshSession {
    fn authorised_output(&self, output: &str) -> (String, bool) {
        match self.rt.fault() {
            Some(Fault::Garbled) => (garble(output), false),
            Some(Fault::DropMidOutput) if output.len() > DROP_THRESHOLD => {
                let mut cut = output.len() / 2;
                while !output.is_char_boundary(cut) {
                    cut -= 1;
                }
                (output[..cut].to_owned(), true)
            }
            _ => (output.to_owned(), false),
        }
    }

    async fn delay(&self) {
        if let Some(Fault::Slow { delay_ms }) = self.rt.fault() {
            tokio::time::sleep(Duration::from_millis(delay_ms.min(600_000))).await;
        }
    }

    /// Feeds typed bytes to a shell channel: echo, line editing, one reply per Enter.
    /// Returns what to send and whether any line was answered.
    fn feed(&mut self, channel: ChannelId, data: &[u8]) -> Option<(Step, bool)> {
        if self.rt.fault() == Some(Fault::Hang) {
            return None;
        }
        let mut segments: Vec<Segment> = Vec::new();
        {
            let st = self.channels.get_mut(&channel)?;
            if st.closed || !st.shell {
                return None;
            }
            let mut echo = Vec::new();
            for &b in data {
                let enter = match b {
                    0 => false,
                    b'\r' => {
                        st.last_cr = true;
                        true
                    }
                    b'\n' => !std::mem::take(&mut st.last_cr),
                    0x7f | 0x08 => {
                        st.last_cr = false;
                        if st.line.pop().is_some() && st.cli.echo() {
                            echo.extend_from_slice(b"\x08 \x08");
                        }
                        false
                    }
                    0x1a => {
                        st.last_cr = false;
                        st.line.clear();
                        st.line.push(0x1a);
                        echo.extend_from_slice(b"^Z");
                        true
                    }
                    _ => {
                        st.last_cr = false;
                        if st.line.len() < MAX_LINE {
                            st.line.push(b);
                            if st.cli.echo() {
                                echo.push(b);
                            }
                        }
                        false
                    }
                };
                if !enter {
                    continue;
                }
                echo.extend_from_slice(b"\r\n");
                segments.push(Segment::Echo(std::mem::take(&mut echo)));
                let line = String::from_utf8_lossy(&std::mem::take(&mut st.line)).into_owned();
                let reply = st.cli.input(&line);
                segments.push(Segment::Output(reply.output));
                if reply.close {
                    st.closed = true;
                    segments.push(Segment::Close);
                    break;
                }
                segments.push(Segment::Prompt(st.cli.prompt()));
            }
            if !echo.is_empty() {
                segments.push(Segment::Echo(echo));
            }
        }
        let replies = segments.iter().any(|s| matches!(s, Segment::Output(_)));
        let mut bytes = Vec::new();
        for segment in segments {
            match segment {
                Segment::Echo(e) => bytes.extend_from_slice(&e),
                Segment::Prompt(p) => push_crlf(&mut bytes, &p),
                Segment::Output(o) => {
                    let (o, dropped) = self.authorised_output(&o);
                    push_crlf(&mut bytes, &o);
                    if dropped {
                        return Some((Step::SendClose(bytes), replies));
                    }
                }
                Segment::Close => return Some((Step::SendClose(bytes), replies)),
            }
        }
        Some((Step::Send(bytes), replies))
    }
}

enum Segment {
    Echo(Vec<u8>),
    Output(String),
    Prompt(String),
    Close,
}

impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = user == self.rt.username && password == self.rt.password;
        if ok && self.rt.fault() != Some(Fault::AuthFailure) {
            Ok(Auth::Accept)
        } else {
            Ok(Auth::Reject { proceed_with_methods: None, partial_success: false })
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The handler's callbacks carry the data; the channel object itself is not read.
        let id = channel.id();
        drop(channel);
        let cli = open_cli(Arc::clone(&self.rt.state), false);
        self.channels.insert(id, ChannelState { cli, line: Vec::new(), last_cr: false, shell: false, closed: false });
        reply.accept().await;
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if !self.rt.jump_host {
            reply.reject(russh::ChannelOpenFailure::AdministrativelyProhibited).await;
            return Ok(());
        }
        let target = format!("{host_to_connect}:{port_to_connect}");
        let name = self.rt.name.clone();
        tokio::spawn(async move {
            let connect = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&target)).await;
            match connect {
                Ok(Ok(mut tcp)) => {
                    reply.accept().await;
                    let mut stream = channel.into_stream();
                    let _ = tokio::io::copy_bidirectional(&mut stream, &mut tcp).await;
                }
                _ => {
                    debug!(device = %name, %target, "direct-tcpip connect failed");
                    reply.reject(russh::ChannelOpenFailure::ConnectFailed).await;
                }
            }
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        let Some(st) = self.channels.get_mut(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        st.shell = true;
        let greeting = format!("{}{}", st.cli.greeting(), st.cli.prompt());
        session.channel_success(channel)?;
        self.delay().await;
        let mut out = Vec::new();
        push_crlf(&mut out, &greeting);
        session.data(channel, out)?;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        if self.rt.fault() == Some(Fault::Hang) {
            return Ok(());
        }
        let command = String::from_utf8_lossy(data).into_owned();
        let mut cli = open_cli(Arc::clone(&self.rt.state), true);
        let reply = cli.input(command.trim());
        self.delay().await;
        let (output, dropped) = self.authorised_output(&reply.output);
        let mut out = Vec::new();
        push_crlf(&mut out, &output);
        if !out.is_empty() {
            session.data(channel, out)?;
        }
        if !dropped {
            let failed = reply.output.contains("% Invalid input")
                || reply.output.starts_with("syntax error")
                || reply.output.starts_with("Invalid input");
            session.exit_status_request(channel, u32::from(failed))?;
        }
        session.eof(channel)?;
        session.close(channel)?;
        self.channels.remove(&channel);
        Ok(())
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        let Some((step, replies)) = self.feed(channel, data) else { return Ok(()) };
        if replies {
            self.delay().await;
        }
        match step {
            Step::Send(bytes) => {
                if !bytes.is_empty() {
                    session.data(channel, bytes)?;
                }
            }
            Step::SendClose(bytes) => {
                if !bytes.is_empty() {
                    session.data(channel, bytes)?;
                }
                session.eof(channel)?;
                session.close(channel)?;
                self.channels.remove(&channel);
            }
        }
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        if self.channels.remove(&channel).is_some() {
            session.close(channel)?;
        }
        Ok(())
    }
}

/// The device state of a runtime, for the lab's accessors.
#[must_use]
pub fn with_state<T>(rt: &DeviceRuntime, f: impl FnOnce(&mut DeviceState) -> T) -> T {
    f(&mut lock(&rt.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_are_stable_per_seed_and_name() {
        let a = host_key("seed", "R15").public_key().clone();
        assert_eq!(a, host_key("seed", "R15").public_key().clone());
        assert_ne!(a, host_key("seed", "R16").public_key().clone());
        assert_ne!(a, host_key("other", "R15").public_key().clone());
    }

    #[test]
    fn garbling_keeps_lines_but_changes_bytes() {
        let text = "Cisco IOS Software, IOSv Software\nline two\n";
        let g = garble(text);
        assert_ne!(g, text);
        assert_eq!(g.lines().count(), text.lines().count());
    }
}
