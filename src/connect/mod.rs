//! STUB until the real module lands.
#![allow(dead_code, unused_variables, clippy::all, clippy::pedantic)]
use std::path::PathBuf;
use std::time::Duration;
#[derive(Clone)]
pub enum Host { Tcp(String), Socket(PathBuf) }
#[derive(Clone, Copy)]
pub enum SslMode { Disable, Allow, Prefer, Require, VerifyCa, VerifyFull }
#[derive(Clone)]
pub struct ConnInfo { pub host: Host, pub port: u16, pub user: String, pub dbname: String,
   pub sslmode: SslMode, pub sslrootcert: Option<PathBuf>, pub application_name: Option<String>,
   pub options: Option<String>, pub connect_timeout: Option<Duration>, password: Option<String> }
#[derive(Debug, thiserror::Error)]
pub enum ConnectError { #[error("x")] X }
impl ConnectError { pub fn hint(&self) -> Option<String> { None } }
impl ConnInfo {
  pub fn parse(s: &str) -> Result<ConnInfo, ConnectError> { todo!() }
  pub fn password(&self) -> Option<&str> { todo!() }
  pub fn with_password(self, p: Option<String>) -> Self { todo!() }
  pub fn with_dbname(&self, dbname: &str) -> ConnInfo { todo!() }
  pub fn to_url(&self) -> String { todo!() }
  pub fn redacted_url(&self) -> String { todo!() }
  pub fn is_loopback(&self) -> bool { todo!() }
  pub async fn connect(&self) -> Result<tokio_postgres::Client, ConnectError> { todo!() }
}
impl std::fmt::Display for ConnInfo { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { todo!() } }
impl std::fmt::Debug for ConnInfo { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { todo!() } }
pub fn quote_ident(s: &str) -> String { format!("\"{}\"", s.replace('"', "\"\"")) }
pub fn quote_literal(s: &str) -> String { todo!() }
