package dev.ballot.backup;

/**
 * What a backup file says about the state it holds.
 *
 * @param formatVersion the format version the file was written in
 * @param clusterId the id of the cluster it was taken from
 * @param revision the store revision at the backup's point in time
 * @param appliedIndex the Raft index applied on the node when the backup was taken
 */
public record BackupHeader(int formatVersion, long clusterId, long revision, long appliedIndex) {
  /**
   * Checks the values.
   *
   * @param formatVersion see the record description
   * @param clusterId see the record description
   * @param revision see the record description
   * @param appliedIndex see the record description
   */
  public BackupHeader {
    if (revision < 1 || appliedIndex < 0) {
      throw new IllegalArgumentException(
          "backup needs revision>=1 and appliedIndex>=0: " + revision + "/" + appliedIndex);
    }
  }
}
