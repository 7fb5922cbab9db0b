%% The contract's server for Erlang/OTP's ssh application (interop/README.md).
%%
%% Run as: erl -noshell -pa EBIN -run sshdoctor_erl_server main PORT KEYDIR
%%
%% ssh:daemon on 127.0.0.1:PORT with the ssh application's default
%% algorithms and the lab's host keys (KEYDIR/ssh_host_*_key, read by
%% ssh_file), every authentication refused. Prints "listening", then one
%% {"chosen": {...}} line per connection from ssh:connection_info(Conn,
%% [algorithms]), asked when the daemon fetches its host key for the key
%% exchange (this module is the daemon's key_cb, delegating to ssh_file).
%% The ssh application's reports (its "Disconnects with code = 3 ...: Key
%% exchange failed" text) go to stderr.
-module(sshdoctor_erl_server).
-behaviour(ssh_server_key_api).
-export([main/1, host_key/2, is_auth_key/3]).

main([Port, KeyDir]) ->
    sshdoctor_erl_log:to_stderr(),
    {ok, _} = application:ensure_all_started(ssh),
    Opts = [{ip, {127, 0, 0, 1}}, {system_dir, KeyDir},
            {key_cb, {?MODULE, []}},
            {auth_methods, "publickey,password,keyboard-interactive"},
            {pwdfun, fun(_User, _Password) -> false end},
            {idle_time, 10000}],
    case ssh:daemon(list_to_integer(Port), Opts) of
        {ok, _Daemon} ->
            io:put_chars("listening\n"),
            receive stop -> ok end;
        Error ->
            io:format(standard_error, "ssh:daemon: ~p~n", [Error]),
            halt(1)
    end.

host_key(Algorithm, Opts) ->
    Conn = self(),
    %% connection_info is a call to the connection process, which is running
    %% this callback: ask from another process, answered right after.
    spawn(fun() -> report(catch ssh:connection_info(Conn, [algorithms])) end),
    ssh_file:host_key(Algorithm, Opts).

is_auth_key(_PublicKey, _User, _Opts) ->
    false.

report([{algorithms, Algs}]) when is_list(Algs) ->
    io:put_chars([sshdoctor_erl_log:json({obj, [{chosen, sshdoctor_erl_log:chosen(server, Algs)}]}), "\n"]);
report(_) ->
    ok.
