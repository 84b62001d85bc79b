# Run in the hostile guest by HostileGuestE2eTest: stages files of every kind a copy out must
# not write, and a tar first on root's PATH (/usr/local/sbin) that ignores what the copy script
# asks and sends crafted members instead, beside one honest file.
set -e
rm -rf /root/hostile && mkdir -p /root/hostile/d /root/hostile/a/b /root/hostile/.git/hooks
cd /root/hostile
echo honest > d/honest.txt
echo outside > outside.txt && ln outside.txt d/hard-out
ln -s /etc/passwd d/abs-link && ln -s ../../../escaped d/up-link
mknod d/null c 1 3 && mkfifo d/fifo
echo suid > d/suid && chmod 4755 d/suid
echo trav > trav.txt && echo abs > abs.txt && echo hook > .git/hooks/pre-commit
cat > /usr/local/sbin/tar <<'EOF'
#!/bin/sh
exec /bin/tar -c -P -f - -C /root/hostile outside.txt d .git/hooks/pre-commit -C /root/hostile/a/b ../../trav.txt /root/hostile/abs.txt
EOF
chmod 755 /usr/local/sbin/tar
