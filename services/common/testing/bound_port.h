// A TCP port the kernel picked, held by a bound socket, for tests that need
// a port number before a server binds it (or a port that is taken).
#ifndef CRYPTOTRACKER_SERVICES_COMMON_TESTING_BOUND_PORT_H_
#define CRYPTOTRACKER_SERVICES_COMMON_TESTING_BOUND_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace cryptotracker::common::testing {

class BoundPort {
 public:
  // Binds a new socket to port 0 on every address (as GrpcServer binds), so
  // the kernel picks a port. Throws std::runtime_error when it cannot.
  BoundPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      close(fd_);
      throw std::runtime_error("cannot bind a free port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~BoundPort() { Release(); }
  BoundPort(const BoundPort&) = delete;
  BoundPort& operator=(const BoundPort&) = delete;

  int port() const { return port_; }
  int fd() const { return fd_; }
  // Closes the socket: the port is free again (until someone else takes it).
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  int port_ = 0;
};

}  // namespace cryptotracker::common::testing

#endif  // CRYPTOTRACKER_SERVICES_COMMON_TESTING_BOUND_PORT_H_
