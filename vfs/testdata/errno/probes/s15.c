#include "h.h"
int main(){
 setvbuf(stdout,NULL,_IONBF,0); std();
 mkdir("ro_dir",0755); mkf("ro_dir/rf","x"); link("ro_dir/rf","ro_dir/hl"); mkdir("rodst",0755);
 mkdir("sticky",0); chmod("sticky",01777); mkf("sticky/rootf","x"); link("sticky/rootf","sticky/roothl");
 mount("ro_dir","rodst",NULL,MS_BIND,NULL); mount("none","rodst",NULL,MS_REMOUNT|MS_BIND|MS_RDONLY,NULL);
 T("[root] rename(rodst/rf, rodst/rf) on ro bind", rename("rodst/rf","rodst/rf"));
 T("[root] rename(rodst/rf, rodst/hl) on ro bind", rename("rodst/rf","rodst/hl"));
 pid_t pid=fork();
 if(pid==0){
   setresgid(65534,65534,65534); setresuid(65534,65534,65534);
   T("[nobody] rename(ro_dir/rf, ro_dir/hl) same inode, unwritable dir", rename("ro_dir/rf","ro_dir/hl"));
   T("[nobody] rename(ro_dir/rf, ro_dir/rf) unwritable dir", rename("ro_dir/rf","ro_dir/rf"));
   T("[nobody] rename(sticky/rootf, sticky/roothl) sticky not owner", rename("sticky/rootf","sticky/roothl"));
   T("[nobody] renameat2 NOREPLACE(ro_dir/rf, ro_dir/hl)", syscall(SYS_renameat2,AT_FDCWD,"ro_dir/rf",AT_FDCWD,"ro_dir/hl",1));
   T("[nobody] renameat2 EXCHANGE(ro_dir/rf, ro_dir/hl)", syscall(SYS_renameat2,AT_FDCWD,"ro_dir/rf",AT_FDCWD,"ro_dir/hl",2));
   _exit(0);
 }
 waitpid(pid,NULL,0);
 umount2("rodst",0);
 umount2(M,MNT_DETACH);
 return 0;
}
