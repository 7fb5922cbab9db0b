%% The contract's client for Erlang/OTP's ssh application (interop/README.md).
%%
%% Run as: erl -noshell -pa EBIN -run sshdoctor_erl_client main HOST PORT [PORT ...]
%%
%% One ssh:connect per port with the ssh application's default algorithms
%% (no preferred_algorithms or modify_algorithms), user "sshdoctor" with a
%% wrong password, an empty user_dir of its own (no known_hosts, no keys),
%% every host key accepted and none saved, each connection bounded (10 s).
%%
%% One JSON line per port: ok (the host key was accepted, so key exchange
%% reached its end), chosen (ssh:connection_info(Conn, [algorithms]), asked
%% from the moment the host key is accepted, before authentication ends the
%% connection), error (what ssh:connect returned, printed with ~p as an
%% Erlang user sees it: {error,"Key exchange failed"}), ident (the server's
%% identification from connection_info). What the ssh application logs
%% (its disconnect reports) goes to stderr through the default logger.
-module(sshdoctor_erl_client).
-export([main/1]).

main([Host | Ports]) ->
    sshdoctor_erl_log:to_stderr(),
    {ok, _} = application:ensure_all_started(ssh),
    lists:foreach(fun(P) -> one(Host, list_to_integer(P)) end, Ports),
    %% Let the logger write the last reports before the VM stops.
    logger_std_h:filesync(default),
    timer:sleep(200),
    init:stop().

one(Host, Port) ->
    Parent = self(),
    Ref = make_ref(),
    Dir = user_dir(Port),
    Accept = fun(_Peer, _Fingerprint) ->
                     Conn = self(),
                     %% connection_info is a call to the connection process, which is
                     %% running this fun: ask from another process, answered right after.
                     spawn(fun() ->
                                   Info = (catch ssh:connection_info(Conn, [algorithms, server_version])),
                                   Parent ! {Ref, info, Info}
                           end),
                     Parent ! {Ref, accepted},
                     true
             end,
    Opts = [{user, "sshdoctor"}, {password, "sshdoctor-wrong-password"},
            {silently_accept_hosts, Accept}, {save_accepted_host, false},
            {user_interaction, false}, {user_dir, Dir},
            {connect_timeout, 10000}],
    Result = (catch ssh:connect(Host, Port, Opts, 10000)),
    Accepted = receive {Ref, accepted} -> true after 0 -> false end,
    Info = receive {Ref, info, I} -> I after 2000 -> undefined end,
    case Result of
        {ok, C} -> ssh:close(C);
        _ -> ok
    end,
    Error = case Result of
                {ok, _} -> null;
                Other -> iolist_to_binary(io_lib:format("~p", [Other]))
            end,
    io:put_chars([sshdoctor_erl_log:json({obj, [{ok, Accepted}, {chosen, chosen(Accepted, Info)}, {error, Error},
                                                {ident, ident(Info)}]}), "\n"]),
    file:del_dir_r(Dir).

user_dir(Port) ->
    Base = case os:getenv("TMPDIR") of false -> "/tmp"; T -> T end,
    Dir = filename:join(Base, "sshdoctor-erl-" ++ os:getpid() ++ "-" ++ integer_to_list(Port)),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Dir.

chosen(false, _) -> null;
chosen(true, Info) when is_list(Info) ->
    case proplists:get_value(algorithms, Info) of
        Algs when is_list(Algs) -> sshdoctor_erl_log:chosen(client, Algs);
        _ -> null
    end;
chosen(true, _) -> null.

ident(Info) when is_list(Info) ->
    case proplists:get_value(server_version, Info) of
        {_, V} when is_list(V) -> list_to_binary(V);
        _ -> null
    end;
ident(_) -> null.

