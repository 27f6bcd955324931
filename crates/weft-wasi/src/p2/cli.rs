//! `wasi:cli`: the arguments and environment a context was built with,
//! `exit`, the standard streams (descriptors 0–2 of the context, shared
//! with preview 1) and terminals (weft reports none).

use super::bindings::wasi::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use super::io::{InputStream, OutputStream, Sink, Source};
use crate::{I32Exit, WasiCtx};
use weft::{Error, Result};
use weft_component::Resource;

/// A NUL-terminated preview-1 string as text.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes.strip_suffix(&[0]).unwrap_or(bytes)).into_owned()
}

impl environment::Host for WasiCtx {
    fn get_environment(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self
            .env
            .iter()
            .map(|kv| {
                let kv = text(kv);
                match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv, String::new()),
                }
            })
            .collect())
    }

    fn get_arguments(&mut self) -> Result<Vec<String>> {
        Ok(self.args.iter().map(|a| text(a)).collect())
    }

    fn initial_cwd(&mut self) -> Result<Option<String>> {
        Ok(None)
    }
}

impl exit::Host for WasiCtx {
    fn exit(&mut self, status: std::result::Result<(), ()>) -> Result<()> {
        Err(Error::host(I32Exit(if status.is_ok() { 0 } else { 1 })))
    }

    fn exit_with_code(&mut self, status_code: u8) -> Result<()> {
        Err(Error::host(I32Exit(i32::from(status_code))))
    }
}

impl stdin::Host for WasiCtx {
    fn get_stdin(&mut self) -> Result<Resource<InputStream>> {
        self.push_resource(InputStream::new(Source::Stdin))
    }
}

impl stdout::Host for WasiCtx {
    fn get_stdout(&mut self) -> Result<Resource<OutputStream>> {
        self.push_resource(OutputStream::new(Sink::Fd(1)))
    }
}

impl stderr::Host for WasiCtx {
    fn get_stderr(&mut self) -> Result<Resource<OutputStream>> {
        self.push_resource(OutputStream::new(Sink::Fd(2)))
    }
}

impl terminal_input::HostTerminalInput for WasiCtx {
    fn drop(&mut self, rep: Resource<terminal_input::TerminalInput>) -> Result<()> {
        Err(Error::Usage(format!(
            "no terminal-input {} was ever made",
            rep.rep()
        )))
    }
}

impl terminal_input::Host for WasiCtx {}

impl terminal_output::HostTerminalOutput for WasiCtx {
    fn drop(&mut self, rep: Resource<terminal_output::TerminalOutput>) -> Result<()> {
        Err(Error::Usage(format!(
            "no terminal-output {} was ever made",
            rep.rep()
        )))
    }
}

impl terminal_output::Host for WasiCtx {}

impl terminal_stdin::Host for WasiCtx {
    fn get_terminal_stdin(&mut self) -> Result<Option<Resource<terminal_input::TerminalInput>>> {
        Ok(None)
    }
}

impl terminal_stdout::Host for WasiCtx {
    fn get_terminal_stdout(&mut self) -> Result<Option<Resource<terminal_output::TerminalOutput>>> {
        Ok(None)
    }
}

impl terminal_stderr::Host for WasiCtx {
    fn get_terminal_stderr(&mut self) -> Result<Option<Resource<terminal_output::TerminalOutput>>> {
        Ok(None)
    }
}
