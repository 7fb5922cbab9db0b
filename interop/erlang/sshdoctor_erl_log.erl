%% Shared by the lab's Erlang client and server harnesses: logger output to
%% stderr, negotiated algorithms in the contract's slot names, a tiny JSON
%% writer.
-module(sshdoctor_erl_log).
-export([to_stderr/0, chosen/2, json/1]).

%% The default logger handler writes to stdout, which the contract keeps for
%% JSON lines: the ssh application's reports must go to stderr.
to_stderr() ->
    Formatter = case logger:get_handler_config(default) of
                    {ok, #{formatter := F}} -> F;
                    _ -> {logger_formatter, #{}}
                end,
    _ = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h,
                            #{config => #{type => standard_error}, formatter => Formatter}).

%% ssh:connection_info's algorithms (encrypt/decrypt are "ours", so the
%% directions flip with the role) as the contract's slots.
chosen(Role, Algs) ->
    {Out, In} = case Role of client -> {c2s, s2c}; server -> {s2c, c2s} end,
    Enc = cipher(name(proplists:get_value(encrypt, Algs))),
    Dec = cipher(name(proplists:get_value(decrypt, Algs))),
    Slots = [{kex, name(proplists:get_value(kex, Algs))},
             {hostkey, name(proplists:get_value(hkey, Algs))},
             {slot(cipher, Out), Enc}, {slot(cipher, In), Dec},
             {slot(mac, Out), mac(name(proplists:get_value(send_mac, Algs)), Enc)},
             {slot(mac, In), mac(name(proplists:get_value(recv_mac, Algs)), Dec)},
             {slot(compression, Out), name(proplists:get_value(compress, Algs))},
             {slot(compression, In), name(proplists:get_value(decompress, Algs))}],
    {obj, lists:sort(fun({A, _}, {B, _}) -> order(A) =< order(B) end, Slots)}.

order(K) ->
    length(lists:takewhile(fun(S) -> S =/= K end,
                           [kex, hostkey, cipher_c2s, cipher_s2c, mac_c2s, mac_s2c,
                            compression_c2s, compression_s2c])).

slot(What, Dir) -> list_to_atom(atom_to_list(What) ++ "_" ++ atom_to_list(Dir)).

%% ssh_transport renames a negotiated aes*-gcm@openssh.com to its RFC 5647
%% name internally (aead_gcm_simultan); the defaults never offer the RFC
%% names, so the wire name is the @openssh.com one.
cipher(<<"AEAD_AES_128_GCM">>) -> <<"aes128-gcm@openssh.com">>;
cipher(<<"AEAD_AES_256_GCM">>) -> <<"aes256-gcm@openssh.com">>;
cipher(C) -> C.

%% An AEAD cipher makes the MAC implicit (OTP then names the AEAD as the MAC).
mac(null, _) -> null;
mac(Mac, Cipher) ->
    case aead(Mac) orelse aead(Cipher) of
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

%% Objects as {obj, [{Key, Value}]}, strings as binaries.
json({obj, Pairs}) ->
    ["{", lists:join(", ", [[json(atom_to_binary(K, utf8)), ": ", json(V)] || {K, V} <- Pairs]), "}"];
json(true) -> "true";
json(false) -> "false";
json(null) -> "null";
json(B) when is_binary(B) -> [$", escape(binary_to_list(B)), $"].

escape([]) -> [];
escape([$" | T]) -> [$\\, $" | escape(T)];
escape([$\\ | T]) -> [$\\, $\\ | escape(T)];
escape([C | T]) when C < 32 -> [io_lib:format("\\u~4.16.0b", [C]) | escape(T)];
escape([C | T]) -> [C | escape(T)].
