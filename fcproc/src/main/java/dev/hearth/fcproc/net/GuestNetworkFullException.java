package dev.hearth.fcproc.net;

/** Every host address of the bridge network is taken, so no guest IP can be allocated. */
public class GuestNetworkFullException extends HostNetworkException {
  private static final long serialVersionUID = 1L;

  public GuestNetworkFullException(String message) {
    super(message);
  }
}
