//! Black-box tests of liftrescue, linked as one binary.

mod attach_lift;
mod cli;
mod console;
mod crash;
mod crew_offline;
mod crew_page;
mod demo;
mod equipment;
mod faults;
mod feed;
mod history;
mod http_flow;
mod mqtt;
mod operations;
mod ops;
mod paging;
mod positions;
mod proof;
mod quality;
mod replay;
mod review;
mod rules_cli;
mod rules_reload;
mod simulate;
mod storm;
mod support;
