# Lab client harness for Ruby net-ssh: ruby netssh_client.rb HOST PORT [PORT ...]
#
# Net::SSH.start with net-ssh's default algorithm options connects to each port in turn as user
# "sshdoctor" (no keys, no agent, no password, never prompts; any host key accepted; no known_hosts
# file, which would otherwise put its key types first in the host key list) and prints one JSON line
# per port (see interop/README.md). net-ssh's debug log goes to stderr after a
# "sshdoctor-harness: port N" marker; the chosen algorithms are read from its "negotiated:" lines.
require 'json'
require 'logger'
require 'stringio'
require 'timeout'
require 'net/ssh'

TIMEOUT = 10

# Writes to stderr and keeps a copy, so the harness can read what net-ssh said it negotiated.
class Tee
  attr_reader :copy

  def initialize
    @copy = StringIO.new
  end

  def write(*parts)
    parts.each { |p| @copy.write(p) }
    $stderr.write(*parts)
  end

  def close; end
end

SLOTS = {
  'kex' => 'kex', 'host_key' => 'hostkey',
  'encryption_client' => 'cipher_c2s', 'encryption_server' => 'cipher_s2c',
  'hmac_client' => 'mac_c2s', 'hmac_server' => 'mac_s2c',
  'compression_client' => 'compression_c2s', 'compression_server' => 'compression_s2c'
}.freeze

# The exception as Ruby prints an uncaught one: its first line, the class in parentheses, then the rest.
def error_text(exc)
  first, *rest = exc.message.to_s.split("\n")
  (["#{first} (#{exc.class})"] + rest).join("\n")
end

def connect(host, port)
  tee = Tee.new
  logger = Logger.new(tee)
  logger.level = Logger::DEBUG
  result = { 'ok' => false, 'chosen' => nil, 'error' => nil, 'ident' => nil }
  options = {
    port: port, logger: logger, verbose: :debug, timeout: TIMEOUT, non_interactive: true,
    verify_host_key: :never, user_known_hosts_file: '/dev/null', global_known_hosts_file: '/dev/null',
    keys: [], key_data: [], keys_only: true, use_agent: false, password: nil
  }
  begin
    Timeout.timeout(TIMEOUT * 2) do
      Net::SSH.start(host, 'sshdoctor', **options) { |ssh| ssh.close }
      result['error'] = 'the server let the client in'
    end
  rescue Exception => e # rubocop:disable Lint/RescueException (a harness reports every failure)
    result['error'] = error_text(e)
  end
  log = tee.copy.string
  chosen = {}
  if (block = log[/negotiated:\n((?:\* \w+: .*\n?)+)/, 1])
    block.scan(/^\* (\w+): (.*)$/) { |key, value| chosen[SLOTS[key]] = value.strip if SLOTS.key?(key) }
  end
  result['ident'] = log[/remote is `(SSH-[^']+)'/, 1]
  # NEWKEYS (message 21) received from the server: the host key was checked and the keys are switched.
  if log.match?(/received packet nr \d+ type 21 /) && !chosen.empty?
    result['ok'] = true
    result['chosen'] = chosen
  end
  result
end

if ARGV.length < 2
  warn 'usage: netssh_client.rb HOST PORT [PORT ...]'
  exit 2
end
host = ARGV[0]
ARGV[1..].each do |port|
  $stderr.puts "sshdoctor-harness: port #{port}"
  $stderr.flush
  puts JSON.generate(connect(host, Integer(port)))
  $stdout.flush
end
