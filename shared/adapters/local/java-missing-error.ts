/** DynamoDB Local needs Java: said once, with how to install it. A module of its own so the CLI can name it without loading the emulator's code. */
export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(
      `Java 17 or newer is needed to run DynamoDB Local (${detail}). ` +
        'Install it with: apt-get install -y openjdk-17-jre-headless (Debian/Ubuntu), ' +
        'brew install openjdk@17 (macOS), or set JAVA_HOME to a JDK 17+.',
    );
    this.name = 'JavaMissingError';
  }
}
