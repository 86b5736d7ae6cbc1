//! STUB until the real module lands.
#![allow(dead_code, unused_variables, clippy::all, clippy::pedantic)]
use std::path::PathBuf;
pub struct Binaries { pub bindir: PathBuf, pub version: String, pub major: u32 }
#[derive(Debug, thiserror::Error)]
pub enum ServerError { #[error("x")] X }
impl ServerError { pub fn hint(&self) -> Option<String> { None } }
pub fn find_binaries() -> Result<Binaries, ServerError> { todo!() }
pub struct EmbeddedServer {}
impl EmbeddedServer {
    pub fn new(name: &str, root: PathBuf, port: Option<u16>) -> EmbeddedServer { todo!() }
    pub fn name(&self) -> &str { todo!() }
    pub fn data_dir(&self) -> PathBuf { todo!() }
    pub fn log_file(&self) -> PathBuf { todo!() }
    pub fn socket_dir(&self) -> PathBuf { todo!() }
    pub fn port(&self) -> Result<Option<u16>, ServerError> { todo!() }
    pub fn superuser(&self) -> &str { todo!() }
    pub async fn start(&self) -> Result<StartOutcome, ServerError> { todo!() }
    pub async fn stop(&self) -> Result<StopOutcome, ServerError> { todo!() }
    pub fn status(&self) -> Result<ServerStatus, ServerError> { todo!() }
    pub fn log_tail(&self, lines: usize) -> Result<String, ServerError> { todo!() }
}
pub enum StartOutcome { AlreadyRunning { port: u16 }, Started { port: u16, initialized: bool } }
pub enum StopOutcome { Stopped, NotRunning }
pub enum ServerStatus { Running { pid: u32, port: u16, version: String, data_dir: PathBuf }, Stopped { initialized: bool, port: Option<u16> } }
