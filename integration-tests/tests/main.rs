//! Black-box tests of liftrescue, linked as one binary.

mod cli;
mod crash;
mod crew_page;
mod demo;
mod equipment;
mod faults;
mod http_flow;
mod mqtt;
mod operations;
mod paging;
mod rules_cli;
mod support;
