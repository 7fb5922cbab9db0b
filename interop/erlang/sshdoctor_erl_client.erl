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
    io:put_chars([json([{ok, Accepted}, {chosen, chosen(Accepted, Info)}, {error, Error},
                        {ident, ident(Info)}]), "\n"]),
    file:del_dir_r(Dir).

user_dir(Port) ->
    Base = case os:getenv("TMPDIR") of false -> "/tmp"; T -> T end,
    Dir = filename:join(Base, "sshdoctor-erl-" ++ os:getpid() ++ "-" ++ integer_to_list(Port)),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Dir.

chosen(false, _) -> null;
chosen(true, Info) when is_list(Info) ->
    case proplists:get_value(algorithms, Info) of
        Algs when is_list(Algs) ->
            Enc = name(proplists:get_value(encrypt, Algs)),
            Dec = name(proplists:get_value(decrypt, Algs)),
            {obj, [{kex, name(proplists:get_value(kex, Algs))},
                   {hostkey, name(proplists:get_value(hkey, Algs))},
                   {cipher_c2s, Enc}, {cipher_s2c, Dec},
                   {mac_c2s, mac(name(proplists:get_value(send_mac, Algs)), Enc)},
                   {mac_s2c, mac(name(proplists:get_value(recv_mac, Algs)), Dec)},
                   {compression_c2s, name(proplists:get_value(compress, Algs))},
                   {compression_s2c, name(proplists:get_value(decompress, Algs))}]};
        _ -> null
    end;
chosen(true, _) -> null.

ident(Info) when is_list(Info) ->
    case proplists:get_value(server_version, Info) of
        {_, V} when is_list(V) -> list_to_binary(V);
        _ -> null
    end;
ident(_) -> null.

%% An AEAD cipher makes the MAC implicit; OTP then names the cipher (or AEAD_*) as the MAC.
mac(null, _) -> null;
mac(Mac, Cipher) ->
    case Mac =:= Cipher orelse aead(Mac) orelse aead(Cipher) of
        true -> null;
        false -> Mac
    end.

aead(<<"chacha20-poly1305@openssh.com">>) -> true;
aead(<<"AEAD_", _/binary>>) -> true;
aead(C) when is_binary(C) -> binary:match(C, <<"-gcm@openssh.com">>) =/= nomatch;
aead(_) -> false.

name(undefined) -> null;
name(A) when is_atom(A) -> atom_to_binary(A, utf8);
name(L) when is_list(L) -> list_to_binary(L);
name(B) when is_binary(B) -> B;
name(_) -> null.

%% A minimal JSON writer: objects as {obj, [{Key, Value}]}, binaries as strings.
json({obj, Pairs}) ->
    ["{", lists:join(", ", [[json(atom_to_binary(K, utf8)), ": ", json(V)] || {K, V} <- Pairs]), "}"];
json(Pairs) when is_list(Pairs) -> json({obj, Pairs});
json(true) -> "true";
json(false) -> "false";
json(null) -> "null";
json(B) when is_binary(B) -> [$", escape(binary_to_list(B)), $"].

escape([]) -> [];
escape([$" | T]) -> [$\\, $" | escape(T)];
escape([$\\ | T]) -> [$\\, $\\ | escape(T)];
escape([C | T]) when C < 32 -> [io_lib:format("\\u~4.16.0b", [C]) | escape(T)];
escape([C | T]) -> [C | escape(T)].
