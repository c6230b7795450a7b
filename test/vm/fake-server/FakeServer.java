import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Properties;

/**
 * A stand-in for the Minecraft server jar in the real-VM test: started the way the systemd unit
 * starts the real one (java -jar server.jar nogui, in the server folder), it behaves the same at
 * the seams the playbook and the runner rely on, in a fraction of the memory and time:
 * refuses to start without eula=true, reads server-port / motd / max-players from
 * server.properties, rotates logs/latest.log, logs vanilla's "Done (…)! For help, type "help""
 * line once it listens, answers the Server List Ping (handshake, status, ping/pong), and on
 * SIGTERM logs a world save and exits like the JVM does (143).
 *
 * With enable-rcon=true (rcon.port, rcon.password) it also runs a minimal RCON console, the
 * Source RCON protocol as Minecraft implements it (https://minecraft.wiki/w/RCON): little-endian
 * int32 length, request id and type, an ASCII body and two NULs; login (type 3) answered with the
 * request id, or -1 for a wrong password, in a type 2 packet; a command (type 2) answered in a
 * type 0 packet with the same id. It knows `list`, `say` and the save commands, in vanilla's
 * words, and writes to its log (the journal) what vanilla writes for them.
 */
public final class FakeServer {
  static final String VERSION = "1.21.5";
  static final int PROTOCOL = 770;
  static PrintStream log;

  public static void main(String[] args) throws Exception {
    long started = System.nanoTime();
    Path dir = Path.of("").toAbsolutePath();
    Files.createDirectories(dir.resolve("logs"));
    Path latest = dir.resolve("logs/latest.log");
    if (Files.exists(latest)) {
      Files.move(latest, dir.resolve("logs/previous.log"), StandardCopyOption.REPLACE_EXISTING);
    }
    log = new PrintStream(Files.newOutputStream(latest), true, StandardCharsets.UTF_8);

    info("Starting minecraft server version " + VERSION);
    Properties eula = load(dir.resolve("eula.txt"));
    if (!"true".equals(eula.getProperty("eula"))) {
      info("You need to agree to the EULA in order to run the server. Go to eula.txt for more info.");
      System.exit(1);
    }
    Properties props = load(dir.resolve("server.properties"));
    int port = Integer.parseInt(props.getProperty("server-port", "25565"));
    String motd = props.getProperty("motd", "A Minecraft Server");
    int maxPlayers = Integer.parseInt(props.getProperty("max-players", "20"));

    info("Starting Minecraft server on *:" + port);
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(port));
    Files.createDirectories(dir.resolve("world"));
    info("Preparing level \"world\"");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      info("Stopping server");
      info("Saving worlds");
      try {
        Files.writeString(dir.resolve("world/level.dat"), "saved " + System.currentTimeMillis());
      } catch (IOException e) {
        info("Could not save the world: " + e);
      }
    }, "Server Shutdown Thread"));
    double seconds = (System.nanoTime() - started) / 1e9;
    info(String.format("Done (%.3fs)! For help, type \"help\"", seconds));
    startRcon(props, maxPlayers);

    String status = "{\"version\":{\"name\":\"" + VERSION + "\",\"protocol\":" + PROTOCOL + "},"
        + "\"players\":{\"max\":" + maxPlayers + ",\"online\":0},"
        + "\"description\":{\"text\":\"" + jsonEscape(motd) + "\"},\"enforcesSecureChat\":false}";
    while (true) {
      Socket socket = server.accept();
      Thread t = new Thread(() -> serve(socket, status), "Status");
      t.setDaemon(true);
      t.start();
    }
  }

  /** One Server List Ping exchange: handshake, status request → JSON, ping → pong. */
  static void serve(Socket socket, String status) {
    try (socket) {
      socket.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      while (true) {
        int length = readVarInt(in);
        byte[] body = in.readNBytes(length);
        DataInputStream packet = new DataInputStream(new java.io.ByteArrayInputStream(body));
        int id = readVarInt(packet);
        if (id == 0x00 && length > 1) {
          continue; // handshake: protocol, address, port, next state; nothing to answer
        } else if (id == 0x00) {
          ByteArrayOutputStream buf = new ByteArrayOutputStream();
          DataOutputStream data = new DataOutputStream(buf);
          writeVarInt(data, 0x00);
          byte[] json = status.getBytes(StandardCharsets.UTF_8);
          writeVarInt(data, json.length);
          data.write(json);
          send(out, buf.toByteArray());
        } else if (id == 0x01) {
          ByteArrayOutputStream buf = new ByteArrayOutputStream();
          DataOutputStream data = new DataOutputStream(buf);
          writeVarInt(data, 0x01);
          data.writeLong(packet.readLong());
          send(out, buf.toByteArray());
          return;
        } else {
          return;
        }
      }
    } catch (IOException e) {
      // The client went away: nothing to do, as with the real server.
    }
  }

  static final int RCON_LOGIN = 3;
  static final int RCON_COMMAND = 2;
  static final int RCON_RESPONSE = 0;
  /** Vanilla's limit on an incoming RCON packet (RconClient: a 1,460-byte buffer). */
  static final int RCON_MAX_PACKET = 1460;
  static volatile boolean saving = true;

  /** Vanilla's RCON listener, when server.properties turns it on. */
  static void startRcon(Properties props, int maxPlayers) throws IOException {
    if (!"true".equals(props.getProperty("enable-rcon"))) return;
    int port = Integer.parseInt(props.getProperty("rcon.port", "25575"));
    String password = props.getProperty("rcon.password", "");
    if (password.isEmpty()) {
      warn("No rcon password set in server.properties, rcon disabled!");
      return;
    }
    ServerSocket rcon = new ServerSocket();
    rcon.setReuseAddress(true);
    rcon.bind(new InetSocketAddress(port));
    Thread listener = new Thread(() -> {
      int client = 0;
      while (true) {
        try {
          Socket socket = rcon.accept();
          Thread t = new Thread(() -> serveRcon(socket, password, maxPlayers), "RCON Client #" + ++client);
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "RCON Listener");
    listener.setDaemon(true);
    info("Thread RCON Listener started");
    info("RCON running on 0.0.0.0:" + port);
    listener.start();
  }

  /** One RCON connection: a login, then commands, until the client closes. */
  static void serveRcon(Socket socket, String password, int maxPlayers) {
    try (socket) {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      boolean authed = false;
      while (true) {
        int length = Integer.reverseBytes(in.readInt());
        if (length < 10 || length > RCON_MAX_PACKET) return;
        byte[] packet = in.readNBytes(length);
        if (packet.length < length) return;
        ByteBuffer b = ByteBuffer.wrap(packet).order(ByteOrder.LITTLE_ENDIAN);
        int id = b.getInt();
        int type = b.getInt();
        String body = new String(packet, 8, length - 10, StandardCharsets.UTF_8);
        if (type == RCON_LOGIN) {
          authed = password.equals(body);
          sendRcon(out, authed ? id : -1, RCON_COMMAND, "");
        } else if (type == RCON_COMMAND && authed) {
          sendRcon(out, id, RCON_RESPONSE, command(body, maxPlayers));
        } else if (type == RCON_COMMAND) {
          sendRcon(out, -1, RCON_COMMAND, "");
        } else {
          sendRcon(out, id, RCON_RESPONSE, String.format("Unknown request %s", Integer.toHexString(type)));
        }
      }
    } catch (IOException e) {
      // The client went away, as every RCON client does after its commands.
    }
  }

  /** A console command's answer, in vanilla's words; what vanilla logs for it, logged. */
  static String command(String line, int maxPlayers) {
    String[] words = line.trim().split("\\s+", 2);
    String rest = words.length > 1 ? words[1] : "";
    switch (words[0]) {
      case "list":
        return "There are 0 of a max of " + maxPlayers + " players online: ";
      case "say":
        if (rest.isEmpty()) break;
        // Broadcast to the players and the server log as "[Rcon] …"; the console gets nothing.
        info("Server thread", "[Rcon] " + rest);
        return "";
      case "save-off":
        if (!saving) return "Saving is already turned off";
        saving = false;
        info("Server thread", "[Rcon: Automatic saving is now disabled]");
        return "Automatic saving is now disabled";
      case "save-on":
        if (saving) return "Saving is already turned on";
        saving = true;
        info("Server thread", "[Rcon: Automatic saving is now enabled]");
        return "Automatic saving is now enabled";
      case "save-all":
        info("Server thread", "[Rcon: Saving the game (this may take a moment!)]");
        info("Server thread", "[Rcon: Saved the game]");
        return "Saving the game (this may take a moment!)Saved the game";
      default:
        break;
    }
    return "Unknown or incomplete command, see below for error" + line + "<--[HERE]";
  }

  static void sendRcon(OutputStream out, int id, int type, String body) throws IOException {
    byte[] text = body.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(14 + text.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(10 + text.length).putInt(id).putInt(type).put(text).put((byte) 0).put((byte) 0);
    out.write(b.array());
    out.flush();
  }

  static void send(DataOutputStream out, byte[] packet) throws IOException {
    writeVarInt(out, packet.length);
    out.write(packet);
    out.flush();
  }

  static int readVarInt(InputStream in) throws IOException {
    int value = 0;
    for (int i = 0; i < 5; i++) {
      int b = in.read();
      if (b < 0) throw new IOException("end of stream");
      value |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
    throw new IOException("VarInt too long");
  }

  static void writeVarInt(DataOutputStream out, int value) throws IOException {
    while ((value & ~0x7f) != 0) {
      out.writeByte((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.writeByte(value);
  }

  static Properties load(Path file) throws IOException {
    Properties p = new Properties();
    if (Files.exists(file)) {
      try (Reader r = new InputStreamReader(new FileInputStream(file.toFile()), StandardCharsets.UTF_8)) {
        p.load(r);
      }
    }
    return p;
  }

  static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.toString();
  }

  static void info(String message) {
    write(Thread.currentThread().getName(), "INFO", message);
  }

  static void info(String thread, String message) {
    write(thread, "INFO", message);
  }

  static void warn(String message) {
    write(Thread.currentThread().getName(), "WARN", message);
  }

  static synchronized void write(String thread, String level, String message) {
    String line = "[" + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"))
        + "] [" + thread + "/" + level + "]: " + message;
    System.out.println(line);
    log.println(line);
  }
}
